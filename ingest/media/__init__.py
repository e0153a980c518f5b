"""Video and audio ingest: hardened probing, HLS ladder transcoding, captions.

The pipeline calls these with local paths and stores the outputs in the blob store;
nothing here touches Flask, the database or the job queue.
"""

from ingest.media.captions import caption_text, sanitize_vtt, srt_to_vtt
from ingest.media.ladder import DEFAULT_LADDER, Rendition, Rung, plan_ladder
from ingest.media.probe import MediaError, MediaInfo, MediaLimits, probe_media
from ingest.media.transcode import TranscodeResult, transcode_to_hls

__all__ = [
    "DEFAULT_LADDER",
    "MediaError",
    "MediaInfo",
    "MediaLimits",
    "Rendition",
    "Rung",
    "TranscodeResult",
    "caption_text",
    "plan_ladder",
    "probe_media",
    "sanitize_vtt",
    "srt_to_vtt",
    "transcode_to_hls",
]
