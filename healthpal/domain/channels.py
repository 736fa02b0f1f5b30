"""The ways into Healthpal, recorded on every audit event."""
API = "api"
PORTAL = "portal"
ADMIN = "admin"
CLI = "cli"
ALL = (API, PORTAL, ADMIN, CLI)
