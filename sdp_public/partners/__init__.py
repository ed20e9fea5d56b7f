"""The partner side, one module per area, all on one blueprint (endpoints "partners.*"):
sign_in, password, inbox, casework, admin. Importing this package registers every route."""
from . import admin, casework, evidence, inbox, password, sign_in  # noqa: F401 - each registers its routes on bp
from .blueprint import bp  # noqa: F401
