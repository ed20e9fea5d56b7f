"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
from sdp_public import create_app

app = create_app()
