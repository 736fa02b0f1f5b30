"""Flask extensions, created unbound (the app factory binds them), and how the models and statements
they carry are named and marked."""
from flask_jwt_extended import JWTManager
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The execution options of a statement PostgreSQL prepares once per connection instead of planning
# it on every request (healthpal/prepared_statements.py): the hot paths' point reads and writes.
PREPARED = {"healthpal_prepared": True}
# The execution options of a statement that is a whole transaction by itself (an audited read that
# judges the sign-in, reads and records its event at once): sent first in its transaction on
# PostgreSQL, it runs in autocommit mode, without the round trips of BEGIN and COMMIT
# (healthpal/database.py).
ALONE = {"healthpal_alone": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
jwt = JWTManager()
htmx = Htmx()
