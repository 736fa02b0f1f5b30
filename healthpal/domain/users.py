"""Users (clinicians and admins): accounts, passwords, sign-in and the end of access."""
from sqlalchemy import func, select

from healthpal.domain import audit, channels, passwords, rules, scope, sessions, versions
from healthpal.domain.exceptions import Invalid, NotAllowed, NotFound
from healthpal.domain.throttle import Throttle
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import Patient, User

USERNAME_TAKEN = "A user with that username already exists."
BAD_CREDENTIALS = "Unable to log in with provided credentials."
WRONG_OLD_PASSWORD = "Your old password was entered incorrectly. Please enter it again."
MISMATCH = "The two password fields didn't match."
REGISTRATION_CLOSED = "Registration is closed: an administrator creates clinician accounts."
SELF_EDITABLE = ("username", "first_name", "last_name")
ADMIN_EDITABLE = ("username", "email", "first_name", "last_name", "is_active", "is_superuser")
# What a violated constraint means, when a racing writer got past the checks below.
EXPLAINED = {
    "uq_users_username": ("username", USERNAME_TAKEN),
    "uq_users_username_lower": ("username", USERNAME_TAKEN),
}


def _true_or_false(value) -> bool:
    """A yes/no field (`is_active`, `is_superuser`): a real boolean, nothing that merely looks like one."""
    if not isinstance(value, bool):
        raise rules.FieldError("Must be true or false.")
    return value


CLEANERS = {
    "username": rules.username,
    "email": rules.email,
    "first_name": rules.person_name,
    "last_name": rules.person_name,
    "is_active": _true_or_false,
    "is_superuser": _true_or_false,
    "password": rules.password,
}


def get(*, user_id: int) -> User:
    user = db.session.get(User, user_id) if rules.is_id(user_id) else None
    if user is None:
        raise NotFound("Not found.")
    return user


def by_username(username: str) -> User | None:
    if "\x00" in username:  # no username holds a NUL (and PostgreSQL refuses one in a query)
        return None
    return db.session.scalar(select(User).where(User.username == username))


def _clean(data, fields, *, partial: bool, optional: tuple = (), exclude_id: int | None = None) -> dict:
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    cleaners = {name: CLEANERS[name] for name in fields}
    cleaned, errors = rules.collect(data, cleaners, partial=partial, optional=optional)
    if "username" in cleaned and "username" not in errors:
        errors.update(_username_taken(cleaned["username"], exclude_id))
    if errors:
        raise Invalid(errors)
    return cleaned


def _username_taken(username: str, exclude_id: int | None) -> dict:
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return {"username": [USERNAME_TAKEN]} if db.session.scalar(stmt) is not None else {}


def _snapshot(user: User) -> dict:
    return {name: getattr(user, name) for name in ADMIN_EDITABLE}


def create(*, actor: User | None, via: str, data: dict) -> User:
    """A new user. `data`: username and password required; email, names and flags optional."""
    optional = {"email": "", "first_name": "", "last_name": "", "is_active": True, "is_superuser": False}
    data = {**optional, **data} if isinstance(data, dict) else data
    cleaned = _clean(data, ("username", "password", *optional), partial=False)
    user = User(password_hash=passwords.hashed(cleaned.pop("password")), **cleaned)
    with atomic(EXPLAINED):
        db.session.add(user)
        db.session.flush()
        # With no actor outside the CLI, this is a self-registration: the new user is the actor.
        audit.record(actor=actor if actor is not None or via == channels.CLI else user, via=via,
                     action=audit.CREATE, entity=user, changes=audit.diff({}, _snapshot(user)))
    return user


def check_registration(*, open_registration: bool) -> None:
    """The registration policy: NotAllowed unless the clinic lets people register themselves
    (`open_registration`, its HEALTHPAL_OPEN_REGISTRATION setting). An edge may ask before reading
    what was sent, so that a closed registration answers the same whatever the request holds."""
    if not open_registration:
        raise NotAllowed(REGISTRATION_CLOSED)


def register(*, via: str, data: dict, open_registration: bool) -> User:
    """Self-registration, under the registration policy (`check_registration`): username, optional
    email, password twice."""
    check_registration(open_registration=open_registration)
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    errors = _password_pair(data, "password1", "password2")
    try:
        cleaned = _clean({"email": "", **data}, ("username", "email"), partial=False)
    except Invalid as invalid:
        errors = {**invalid.errors, **errors}
    if errors:
        raise Invalid(errors)
    return create(actor=None, via=via, data={**cleaned, "password": data["password1"]})


def update(*, actor: User | None, via: str, user_id: int, data: dict, partial: bool = True) -> User:
    """Change a user's details. Users edit their own names and username; superusers in the admin
    panel (and the CLI) all fields. A full update (`partial=False`, an API PUT) requires only the
    username: any other field left out keeps its value, as the mobile app's earlier backend did.
    Deactivating a user ends all their sessions and tokens."""
    user = get(user_id=user_id)
    fields = _editable(actor, via, user)
    if isinstance(data, dict):
        data = {name: value for name, value in data.items() if name in fields}
    cleaned = _clean(data, fields, partial=partial, optional=tuple(name for name in fields if name != "username"),
                     exclude_id=user.id)
    before = _snapshot(user)
    with atomic(EXPLAINED):
        for name, value in cleaned.items():
            setattr(user, name, value)
        if before["is_active"] and not user.is_active:
            sessions.end_all_of(user)
        changes = audit.diff(before, _snapshot(user))
        if changes:
            audit.record(actor=actor, via=via, action=audit.UPDATE, entity=user, changes=changes)
    return user


def _editable(actor: User | None, via: str, user: User) -> tuple:
    """The fields `actor` may change on `user` through this channel: every field for whoever sees
    everything, and for the CLI (the operator at the server); a user's own names and username; anyone
    else's account is NotFound."""
    if via == channels.CLI or scope.sees_everything(actor, via):
        return ADMIN_EDITABLE
    if actor is not None and actor.id == user.id:
        return SELF_EDITABLE
    raise NotFound("Not found.")


def _password_pair(data: dict, first: str, second: str) -> dict:
    """Errors for a new password typed twice, keyed by the second field (as the API wants)."""
    errors = {}
    for name in (first, second):
        if name not in data:
            errors[name] = [rules.REQUIRED]
        elif data[name] is None:
            errors[name] = [rules.NULL]
        elif not isinstance(data[name], str):
            errors[name] = [rules.NOT_TEXT]
        elif data[name] == "":
            errors[name] = [rules.BLANK]
    if errors:
        return errors
    if data[first] != data[second]:
        return {second: [MISMATCH]}
    try:
        rules.password(data[first])
    except rules.FieldError as error:
        return {second: error.messages}
    return {}


def set_password(*, actor: User | None, via: str, user_id: int, password: str) -> User:
    """Set a user's password (an admin reset, or the CLI); every earlier token and session ends."""
    user = get(user_id=user_id)
    try:
        rules.password(password)
    except rules.FieldError as error:
        raise Invalid({"password": error.messages}) from None
    with atomic():
        user.password_hash = passwords.hashed(password)
        sessions.end_all_of(user)
        audit.record(actor=actor, via=via, action=audit.UPDATE, entity=user, changes={"password": "changed"})
    return user


def change_password(*, actor: User, via: str, data: dict, address: str, throttle: Throttle) -> User:
    """A user changes their own password: old_password, new_password1, new_password2.

    A wrong old password is a failed sign-in for this user and `address` (`throttle`, the app's
    sign-in throttle, so a stolen session cannot be used to guess the password): Throttled while too
    many stand, whatever else was sent."""
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    key = _throttle_key(actor.username)
    throttle.check(username=key, address=address)
    errors = {}
    old = data.get("old_password")
    if "old_password" not in data:
        errors["old_password"] = [rules.REQUIRED]
    elif old is None:
        errors["old_password"] = [rules.NULL]
    elif old == "":
        errors["old_password"] = [rules.BLANK]
    elif not isinstance(old, str) or not passwords.verify(actor.password_hash, old):
        errors["old_password"] = [WRONG_OLD_PASSWORD]
        throttle.failed(username=key, address=address)
    else:
        throttle.succeeded(username=key)
    errors.update(_password_pair(data, "new_password1", "new_password2"))
    if errors:
        raise Invalid(errors)
    return set_password(actor=actor, via=via, user_id=actor.id, password=data["new_password1"])


def deactivate(*, actor: User | None, via: str, user_id: int) -> User:
    """Stop a user signing in; their tokens and portal sessions end at once."""
    return update(actor=actor, via=via, user_id=user_id, data={"is_active": False})


def delete(*, actor: User | None, via: str, user_id: int) -> None:
    """Delete a user; their patients stay, unassigned, for an admin to hand on (each unassignment
    is recorded in the audit trail as an update of that patient). Their sessions go with them."""
    user = get(user_id=user_id)
    with atomic():
        for patient in list(db.session.scalars(select(Patient).where(Patient.clinician_id == user.id))):
            versions.bump(patient)  # the database unassigns it below (ON DELETE SET NULL): a change
            audit.record(actor=actor, via=via, action=audit.UPDATE, entity=patient,
                         changes={"clinician_id": [user.id, None]})
        audit.record(actor=actor, via=via, action=audit.DELETE, entity=user,
                     changes=audit.diff(_snapshot(user), {}))
        db.session.delete(user)


def _user_with(username, password) -> User | None:
    """The active user with these credentials, or None (the same for every kind of miss). No
    throttle and no audit: only `sign_in` calls it, and every sign-in goes through `sign_in`."""
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = by_username(username.strip())
    if user is None:
        passwords.verify_nothing(password)
        return None
    if not passwords.verify(user.password_hash, password) or not user.is_active:
        return None
    return user


def parse_credentials(data: dict) -> tuple[str, str]:
    """The username and password of an API sign-in's body, to pass to `sign_in`; or Invalid keyed by
    the field that is absent, null, blank, not text or holds a NUL (such a request is no sign-in
    attempt, so not throttled)."""
    cleaned, errors = rules.collect(data, {"username": rules.text, "password": rules.secret}, partial=False)
    if errors:
        raise Invalid(errors)
    return cleaned["username"], cleaned["password"]


def _throttle_key(username) -> str:
    return username.strip().lower() if isinstance(username, str) else ""


def sign_in(*, username, password, address: str, via: str, throttle: Throttle) -> User:
    """The one way to sign in (portal, API): check the credentials under `throttle`, the app's
    failed sign-in throttle, which the API and the portal share.

    Raises Throttled while too many recent failures stand for this username or address, and
    Invalid (one message for every kind of miss) when the credentials are wrong. A password
    stored the old way (`passwords.outdated`) is re-hashed now that it is known.
    """
    errors = {name: [rules.REQUIRED] for name, value in (("username", username), ("password", password))
              if value is None}
    if errors:
        raise Invalid(errors)
    key = _throttle_key(username)
    throttle.check(username=key, address=address)
    user = _user_with(username, password)
    if user is None:
        throttle.failed(username=key, address=address)
        raise Invalid({"non_field_errors": [BAD_CREDENTIALS]})
    throttle.succeeded(username=key)
    if passwords.outdated(user.password_hash):
        _rehash(user, password, via=via)
    return user


def _rehash(user: User, password: str, *, via: str) -> None:
    """Store the same password the current way. Audited like every write to a user (by the user,
    as `{"password": "rehashed"}`: no secret, and not a change of password, so no session ends)."""
    with atomic():
        user.password_hash = passwords.hashed(password)
        audit.record(actor=user, via=via, action=audit.UPDATE, entity=user, changes={"password": "rehashed"})
