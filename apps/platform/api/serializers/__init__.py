"""Serializers of the platform API, one module per resource: engines, jobs, auth."""
