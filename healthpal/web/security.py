"""What only the portal adds to the app-wide safety of `healthpal.security`: Google Places on the
pages that need it."""
from flask import current_app

from healthpal import security

# What the Maps JavaScript API with the Places library needs, and nothing more: its loader and
# code (script), its autocomplete requests (connect), and the "powered by Google" logo (img).
GOOGLE_MAPS = {
    "script-src": ("https://maps.googleapis.com",),
    "connect-src": ("https://maps.googleapis.com", "https://places.googleapis.com"),
    "img-src": ("https://maps.gstatic.com", "https://maps.googleapis.com"),
}


def allow_google_maps() -> None:
    """Let this page load Google Places (only when a Maps API key is configured)."""
    if current_app.config.get("GOOGLE_MAPS_API_KEY"):
        security.allow_sources(GOOGLE_MAPS)
