"""Your own password: choosing one in place of the one-time password (before anything
else), and changing it later. The rules are staff.password_problem's."""
from flask import current_app, redirect, render_template, request, session, url_for
from ..forms import SiteForm
from wtforms.validators import DataRequired

from ..extensions import post_limit
from ..report.fields import SecretField
from ..services import staff
from .access import SESSION_KEY, current_staff, home, signed_in
from .blueprint import bp, db

MISMATCH = "Enter the same new password twice"


def _limit():
    return current_app.config.get("PARTNER_SIGN_IN_LIMIT", "10 per minute")  # each POST costs Argon2 work


class NewPasswordForm(SiteForm):
    new_password = SecretField("New password", validators=[DataRequired("Enter a new password")])
    confirm_password = SecretField("Confirm new password", validators=[DataRequired("Enter the new password again")])

    def matched(self):
        """The new password's rule problems come from the service; this is only the typing check."""
        if self.new_password.data != self.confirm_password.data:
            self.confirm_password.errors.append(MISMATCH)
            return False
        return True


class ChangePasswordForm(NewPasswordForm):
    current_password = SecretField("Current password", validators=[DataRequired("Enter your current password")])


def _token():
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


@bp.route("/password/new", methods=["GET", "POST"])
@post_limit(_limit)
@signed_in(before_new_password=True)
def new_password():
    """Choose a new password: the one-time password someone was given works once."""
    user = current_staff()
    if not user.must_change_password:
        return redirect(home(user))
    form = NewPasswordForm()
    if request.method == "POST" and form.validate() and form.matched():
        problem = staff.choose_password(db(), user, form.new_password.data, keep_token=_token())
        if problem is None:
            return redirect(home(user))
        form.new_password.errors.append(problem)
    return render_template("partners/password.html", user=user, form=form, choosing=True,
                           min_length=staff.MIN_PASSWORD,
                           fields=(form.new_password, form.confirm_password))


@bp.route("/password", methods=["GET", "POST"])
@post_limit(_limit)
@signed_in()
def change_password():
    """Change your password: every other session of the account ends, this one stays."""
    user = current_staff()
    form = ChangePasswordForm()
    changed = request.args.get("changed") == "1"
    if request.method == "POST" and form.validate() and form.matched():
        problem = staff.change_password(db(), user, form.current_password.data, form.new_password.data,
                                        keep_token=_token())
        if problem is None:
            return redirect(url_for("partners.change_password", changed="1"))
        field, message = problem
        form[field].errors.append(message)
    return render_template("partners/password.html", user=user, form=form, choosing=False, changed=changed,
                           min_length=staff.MIN_PASSWORD,
                           fields=(form.current_password, form.new_password, form.confirm_password))
