"""Flask-Admin at /admin/, for superusers only: users, every clinician's patients and
assessments, and the read-only audit log. Every write goes through the domain layer."""
from flask import Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme

from healthpal.admin import assessments, audit, patients, users
from healthpal.admin.access import IndexView


def init_app(app: Flask) -> None:
    """A new Admin per app: a module-level one would collide across create_app calls (flask-admin #910)."""
    admin = Admin(app, name="Healthpal admin", index_view=IndexView(), theme=Bootstrap4Theme())
    for area in (users, patients, assessments, audit):
        admin.add_view(area.make_view())
    admin.add_link(MenuLink(name="Back to the portal", url="/"))
