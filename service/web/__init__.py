"""The web layer: Flask blueprints (SPARQL, graph store, linked data, UI, reports, admin), content
negotiation, CORS, metrics, the service description, page builders, templates/ and static/."""
