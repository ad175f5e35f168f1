"""Entry point for `flask --app wsgi ...` and `gunicorn wsgi:app`."""
from crm.app import create_app

app = create_app()
