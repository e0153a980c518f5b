"""A fake HTTP node for the official Elasticsearch client: the real client serialises every request and
parses every answer, the node records the requests and answers from a small in-memory cluster (indices,
aliases, documents, and the mapping each index got from its template). It evaluates no query: searches answer
with the response a test sets. Like a cluster, it refuses a document with a top-level field a strict mapping
lacks."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

URL = "http://es.test:9200"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any   # decoded JSON, a list of decoded lines for NDJSON, or None


@dataclass
class FakeCluster:
    indices: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    templates: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)   # per index, from its template
    requests: list[Request] = field(default_factory=list)
    search_response: dict[str, Any] = field(default_factory=lambda: empty_response())
    reachable: bool = True

    def targets(self, name: str) -> list[str]:
        return sorted(self.aliases.get(name, set())) or ([name] if name in self.indices else [])

    def answer(self, request: Request) -> tuple[int, Any]:
        parts = [p for p in request.path.split("/") if p]
        handler = ROUTES.get((request.method, _shape(parts)))
        if handler is None:
            return 400, {"error": f"fake cluster: no route for {request.method} {request.path}"}
        return handler(self, parts, request)

    def requests_to(self, method: str, suffix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]


def empty_response() -> dict[str, Any]:
    return {"took": 1, "timed_out": False, "hits": {"total": {"value": 0, "relation": "eq"}, "hits": []},
            "aggregations": {}}


def _shape(parts: list[str]) -> str:
    """The route of a path: API names (starting with _) kept, index names replaced by {i}."""
    return "/".join(p if p.startswith("_") else "{i}" for p in parts)


def _put_template(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    cluster.templates[parts[1]] = request.body
    return 200, {"acknowledged": True}


def _create_index(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    if parts[0] in cluster.indices:
        return 400, {"error": {"type": "resource_already_exists_exception"}, "status": 400}
    cluster.indices[parts[0]] = {}
    templates = [t for t in cluster.templates.values()
                 if any(fnmatchcase(parts[0], pattern) for pattern in t["index_patterns"])]
    best = max(templates, key=lambda t: t.get("priority", 0), default={})
    cluster.mappings[parts[0]] = copy.deepcopy(best.get("template", {}).get("mappings", {}))
    return 200, {"acknowledged": True, "index": parts[0]}


def _delete_index(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    cluster.indices.pop(parts[0], None)
    cluster.mappings.pop(parts[0], None)
    return 200, {"acknowledged": True}


def _get_mapping(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    return 200, {name: {"mappings": cluster.mappings.get(name, {})} for name in cluster.targets(parts[0])}


def _put_mapping(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    for name in cluster.targets(parts[0]):
        cluster.mappings.setdefault(name, {}).setdefault("properties", {}).update(request.body["properties"])
    return 200, {"acknowledged": True}


def _unmapped(cluster: FakeCluster, index: str, source: dict[str, Any]) -> list[str]:
    """The top-level fields of a document a strict mapping lacks."""
    mapping = cluster.mappings.get(index, {})
    if mapping.get("dynamic") != "strict":
        return []
    return sorted(set(source) - set(mapping.get("properties", {})))


def _get_alias(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    targets = sorted(cluster.aliases.get(parts[1], set()))
    if not targets:
        return 404, {"error": f"alias [{parts[1]}] missing", "status": 404}
    return 200, {name: {"aliases": {parts[1]: {}}} for name in targets}


def _update_aliases(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    for action in request.body["actions"]:
        (verb, spec), = action.items()
        members = cluster.aliases.setdefault(spec["alias"], set())
        (members.add if verb == "add" else members.discard)(spec["index"])
    return 200, {"acknowledged": True}


def _bulk(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    """Index and update (partial "doc") actions; an update of a missing document is a 404 item."""
    items = []
    lines = request.body
    for action, source in zip(lines[::2], lines[1::2], strict=True):
        op, meta = next(iter(action.items()))
        targets = cluster.targets(meta["_index"])
        if len(targets) != 1:
            items.append({op: {"_id": meta["_id"], "status": 400, "error": {"type": "no_write_index"}}})
            continue
        documents = cluster.indices[targets[0]]
        if op == "update":
            if meta["_id"] not in documents:
                items.append({op: {"_id": meta["_id"], "status": 404,
                                   "error": {"type": "document_missing_exception"}}})
                continue
            documents[meta["_id"]] = {**documents[meta["_id"]], **source["doc"]}
            items.append({op: {"_index": targets[0], "_id": meta["_id"], "status": 200, "result": "updated"}})
            continue
        unmapped = _unmapped(cluster, targets[0], source)
        if unmapped:
            items.append({op: {"_id": meta["_id"], "status": 400, "error": {
                "type": "strict_dynamic_mapping_exception", "reason": f"fields not allowed: {unmapped}"}}})
            continue
        documents[meta["_id"]] = source
        items.append({op: {"_index": targets[0], "_id": meta["_id"], "status": 201, "result": "created"}})
    return 200, {"took": 1, "errors": any(next(iter(i.values()))["status"] >= 300 for i in items), "items": items}


def _count(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    return 200, {"count": sum(len(cluster.indices[t]) for t in cluster.targets(parts[0]))}


def _delete_by_query(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    ids = set(request.body["query"]["ids"]["values"])
    deleted = 0
    for target in cluster.targets(parts[0]):
        for doc_id in ids & set(cluster.indices[target]):
            del cluster.indices[target][doc_id]
            deleted += 1
    return 200, {"deleted": deleted, "failures": []}


def _search(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    if not cluster.targets(parts[0]):
        return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
    return 200, cluster.search_response


def _ok(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    return 200, {"acknowledged": True, "_shards": {"total": 1, "successful": 1, "failed": 0}}


def _health(cluster: FakeCluster, parts: list[str], request: Request) -> tuple[int, Any]:
    return 200, {"cluster_name": "fake", "status": "green"}


ROUTES = {
    ("PUT", "_index_template/{i}"): _put_template,
    ("PUT", "{i}"): _create_index,
    ("DELETE", "{i}"): _delete_index,
    ("GET", "_alias/{i}"): _get_alias,
    ("POST", "_aliases"): _update_aliases,
    ("PUT", "_bulk"): _bulk,
    ("POST", "_bulk"): _bulk,
    ("POST", "{i}/_count"): _count,
    ("GET", "{i}/_count"): _count,
    ("POST", "{i}/_delete_by_query"): _delete_by_query,
    ("POST", "{i}/_search"): _search,
    ("POST", "{i}/_refresh"): _ok,
    ("GET", "_cluster/{i}"): _health,
    ("GET", "{i}/_mapping"): _get_mapping,
    ("PUT", "{i}/_mapping"): _put_mapping,
}


def _decode(body: bytes | None) -> Any:
    if not body:
        return None
    text = body.decode("utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def fake_client(cluster: FakeCluster, **options: Any) -> Elasticsearch:
    """The official client whose only node is the fake cluster."""

    class FakeNode(BaseNode):
        _CLIENT_META_HTTP_CLIENT = ("fake", "1.0")

        def perform_request(self, method: str, target: str, body: bytes | None = None,
                            headers: HttpHeaders | None = None, request_timeout: Any = None) -> NodeApiResponse:
            url = urlsplit(target)
            request = Request(method, url.path, dict(parse_qsl(url.query)), _decode(body))
            cluster.requests.append(request)
            if not cluster.reachable:
                raise TransportConnectionError("Connection refused (fake)")
            status, answer = cluster.answer(request)
            meta = ApiResponseMeta(status=status, http_version="1.1", duration=0.0, node=self.config,
                                   headers=HttpHeaders({"content-type": "application/json",
                                                        "x-elastic-product": "Elasticsearch"}))
            return NodeApiResponse(meta, json.dumps(answer).encode("utf-8"))

    defaults = {"max_retries": 3, "retry_on_timeout": True, "retry_on_status": (429, 502, 503, 504)}
    return Elasticsearch(URL, node_class=FakeNode, **{**defaults, **options})
