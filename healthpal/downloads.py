"""Download responses shared by the portal and the API: a streamed CSV, a FHIR document.

Both hold patient data, so neither may be kept by a browser or proxy cache.
"""
from flask import Response, current_app, stream_with_context

from healthpal.domain import exports, fhir


def csv(export: exports.Export) -> Response:
    """The export streamed line by line as an attachment."""
    response = Response(stream_with_context(export.lines))
    response.headers["Content-Type"] = exports.MEDIA_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def fhir_json(bundle: dict, filename: str | None = None) -> Response:
    """A FHIR Bundle as `application/fhir+json`; with `filename`, as an attachment of that name."""
    response = Response(current_app.json.dumps(bundle), mimetype=fhir.MEDIA_TYPE)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
