"""The rules of Healthpal, shared by the portal, the API, the admin and the CLI.

Functions here take an explicit `actor` and `via` (the channel), return model objects, own the
transaction, and raise `Invalid` / `NotFound`; they never read the request or render anything.
"""
