// The PDF viewer on pdf.js (pdfjs-dist, installed by npm and served from /static/node_modules): opens the
// material's PDF (the permission-checked file URL) at page N and highlights the words of the search term on it
// with pdf.js's own find controller; a page box, previous/next and zoom buttons. The template falls back to
// the browser's own viewer in an iframe when pdfjs-dist is not installed.
const root = document.getElementById("pdf-viewer");

// The words of the term, each highlighted wherever it appears (pdf.js ignores case and accents here, so
// "quan tinh" typed without diacritics still lights up "Quán tính").
function termWords(term) {
  return term.split(/\s+/).filter((word) => word.length > 1);
}

// pdf.js wants its data folders as URLs ending in a slash; the worker resolves them on its own.
function absolute(path) {
  return new URL(path, document.baseURI).href;
}

function showError(error) {
  console.error("pdf viewer: could not open the document", error);
  root.querySelector(".pdf-frame").hidden = true;
  root.querySelector(".pdf-toolbar").hidden = true;
  root.querySelector("#pdf-error").hidden = false;
}

// The page box, previous/next and zoom buttons drive the viewer; the box follows scrolling.
function wireToolbar(viewer, eventBus) {
  const box = root.querySelector("#pdf-page-number");
  const actions = {
    previous: () => viewer.previousPage(),
    next: () => viewer.nextPage(),
    "zoom-in": () => viewer.increaseScale(),
    "zoom-out": () => viewer.decreaseScale(),
    fit: () => { viewer.currentScaleValue = "page-width"; },
  };
  root.querySelectorAll(".pdf-toolbar [data-action]").forEach((button) => {
    button.addEventListener("click", actions[button.dataset.action]);
  });
  box.addEventListener("change", () => {
    const number = Number.parseInt(box.value, 10);
    if (number >= 1 && number <= viewer.pagesCount) {
      viewer.currentPageNumber = number;
    } else {
      box.value = String(viewer.currentPageNumber);
    }
  });
  eventBus.on("pagechanging", ({ pageNumber }) => {
    box.value = String(pageNumber);
    root.dataset.currentPage = String(pageNumber);
  });
}

// Highlight the term on every rendered page. The find controller selects the first match from the current
// page on and scrolls to it; when that match is on another page, the viewer goes back to the page the hit
// named once the controller has moved (it moves right after announcing its state) and stops following it.
function highlightTerm(viewer, eventBus, findController, words, page, FindState) {
  const settled = ({ state }) => {
    if (state === FindState.PENDING) {
      return;
    }
    eventBus.off("updatefindcontrolstate", settled);
    setTimeout(() => {
      if (findController.selected.pageIdx !== page - 1) {
        findController._scrollMatches = false;
        viewer.currentPageNumber = page;
      }
      root.dataset.find = state === FindState.NOT_FOUND ? "not-found" : "found";
    });
  };
  eventBus.on("updatefindcontrolstate", settled);
  eventBus.dispatch("find", {
    source: null, type: "", query: words, caseSensitive: false, entireWord: true,
    highlightAll: true, findPrevious: false, matchDiacritics: false,
  });
}

async function start() {
  const pdfjsLib = await import(root.dataset.lib);  // first: the components read globalThis.pdfjsLib
  const { EventBus, FindState, PDFFindController, PDFLinkService, PDFViewer } = await import(root.dataset.components);
  pdfjsLib.GlobalWorkerOptions.workerSrc = root.dataset.worker;  // same origin: allowed by worker-src 'self'

  const container = root.querySelector("#pdf-container");
  const eventBus = new EventBus();
  const linkService = new PDFLinkService({ eventBus });
  const findController = new PDFFindController({ eventBus, linkService });
  const viewer = new PDFViewer({ container, eventBus, linkService, findController });
  linkService.setViewer(viewer);
  wireToolbar(viewer, eventBus);

  const pdf = await pdfjsLib.getDocument({
    url: root.dataset.file,
    cMapUrl: absolute(root.dataset.cmaps), cMapPacked: true,
    standardFontDataUrl: absolute(root.dataset.fonts),
    wasmUrl: absolute(root.dataset.decoders), useWasm: false,  // the CSP forbids WebAssembly: the JS decoders
  }).promise;
  const page = Math.min(Math.max(Number.parseInt(root.dataset.page, 10) || 1, 1), pdf.numPages);
  const words = termWords(root.dataset.term || "");
  eventBus.on("pagesinit", () => {
    viewer.currentScaleValue = "page-width";
    viewer.currentPageNumber = page;
    root.querySelector("#pdf-page-count").textContent = String(pdf.numPages);
    root.querySelector("#pdf-page-number").max = String(pdf.numPages);
    root.dataset.state = "ready";
    if (words.length) {
      highlightTerm(viewer, eventBus, findController, words, page, FindState);
    }
  });
  viewer.setDocument(pdf);
  linkService.setDocument(pdf, null);
}

if (root && root.classList.contains("pdfjs-viewer")) {
  start().catch(showError);
}
