"""The web layer: one FastAPI router per area, assembled by `ivr.web.app.create_app`.

Areas today: health, telephony webhooks (Twilio), media sockets (one route per registered
provider), the calls API and the knowledge-base API. Each new area (agent desk, dashboard,
work orders, metrics) is a module with its own `router` added in `app.py`. Routers reach the
shared services through `ivr.web.deps`, never through globals.
"""
