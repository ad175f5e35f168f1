"""Lifelong's domain package: app factory, configuration, models, access rules, services."""
