"""Staff sign-in pages: the password step (Wagtail's own form, throttled), the second-factor
step, setting up a first factor, and managing factors from the admin."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.admin.views.account import LoginView

from . import audit, factors, signin


def next_url(request, default: str = "") -> str:
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("wagtailadmin_home")


def with_next(name: str, url: str) -> str:
    return reverse(name) + "?" + urlencode({REDIRECT_FIELD_NAME: url})


class SignInView(LoginView):
    """Wagtail's sign-in form, with the lockout of signin.py in front of it."""

    def post(self, request, *args, **kwargs):
        username = str(request.POST.get("username", ""))[:150]
        reason = signin.refusal(request, username)
        if reason:
            signin.record_refusal(request, username)
            messages.error(request, reason)
            form = self.get_form_class()(request, initial={"username": username})
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.data.get("username") and form.data.get("password"):
            signin.record_failure(self.request, str(form.data["username"])[:150])
        return super().form_invalid(form)

    def form_valid(self, form):
        super().form_valid(form)
        user = form.get_user()
        signin.password_accepted(self.request, user)
        step = "accounts:verify" if factors.has_factor(user) else "accounts:setup"
        return redirect(with_next(step, self.get_success_url()))


def _half_signed_in(request):
    """For the second-factor pages: None if the request may go on, else where to send it."""
    if not request.user.is_authenticated:
        return redirect(with_next("wagtailadmin_login", next_url(request)))
    return None


@never_cache
def verify(request):
    if early := _half_signed_in(request):
        return early
    user = request.user
    if user.is_verified():
        return HttpResponseRedirect(next_url(request))
    if not factors.has_factor(user):
        return redirect(with_next("accounts:setup", next_url(request)))
    error = ""
    recovery = factors.recovery_device(user)
    if request.method == "POST":
        method = request.POST.get("method")
        token = "".join(str(request.POST.get("token", "")).split())[:64]
        devices = list(factors.apps(user)) if method == "totp" else [recovery] if recovery else []
        for device in devices:
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                error = _("Too many wrong codes. Wait a minute, then try again.")
                break
            if token and device.verify_token(token):
                kind = "totp" if method == "totp" else "recovery_code"
                signin.verified(request, device, method=kind)
                if kind == "recovery_code":
                    messages.warning(
                        request,
                        _(
                            "You signed in with a recovery code; it will not work again. "
                            "%(count)d codes are left."
                        )
                        % {"count": device.remaining()},
                    )
                return HttpResponseRedirect(next_url(request))
        else:
            error = _("That code is not right. Check it and try again.")
        audit.record(
            "accounts.sign_in_failed",
            request=request,
            data={"step": "second_factor", "method": str(method)[:20]},
        )
    return render(
        request,
        "accounts/verify.html",
        {
            "error": error,
            "next": next_url(request),
            "has_keys": factors.keys(user).exists(),
            "has_apps": factors.apps(user).exists(),
            "has_recovery": bool(recovery and recovery.remaining()),
        },
    )


def _may_add_factor(request):
    """Adding a factor needs a verified session, or an account that has none yet."""
    if early := _half_signed_in(request):
        return early
    if not request.user.is_verified() and factors.has_factor(request.user):
        return redirect(with_next("accounts:verify", next_url(request)))
    return None


@never_cache
def setup(request):
    if early := _may_add_factor(request):
        return early
    if request.user.is_verified():
        return redirect("accounts:security")
    return render(
        request,
        "accounts/setup.html",
        {
            "next": next_url(request),
            "after_key": with_next("accounts:recovery_codes", next_url(request)),
        },
    )


@never_cache
def setup_totp(request):
    if early := _may_add_factor(request):
        return early
    user = request.user
    device = factors.pending_totp(user)
    error = ""
    if request.method == "POST" and device is not None:
        token = "".join(str(request.POST.get("token", "")).split())[:16]
        first = not request.user.is_verified()
        if factors.confirm_totp(device, token, request=request):
            if first:
                signin.verified(request, device, method="totp")
                return redirect(with_next("accounts:recovery_codes", next_url(request)))
            messages.success(request, _("Your authenticator app is added."))
            return redirect("accounts:security")
        error = _(
            "That code is not right. Check that the app's clock is correct, and type the "
            "code it shows now."
        )
    if device is None or request.method == "GET":
        device = factors.start_totp(user)
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, omitsize=True, title=_("QR code for your authenticator app"), svgclass="qr"
    )
    return render(
        request,
        "accounts/setup_totp.html",
        {
            "qr": mark_safe(qr),  # noqa: S308 - segno's own markup; the title is escaped
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "error": error,
            "next": next_url(request),
            "first": not request.user.is_verified(),
        },
    )


@never_cache
def recovery_codes(request):
    """GET: how many codes are left; POST: a new set, shown this once."""
    device = factors.recovery_device(request.user)
    codes = None
    if request.method == "POST":
        codes = factors.new_recovery_codes(request.user, request=request)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "remaining": device.remaining() if device else 0,
            "next": next_url(request, reverse("accounts:security")),
        },
    )


@never_cache
def security(request):
    user = request.user
    recovery = factors.recovery_device(user)
    return render(
        request,
        "accounts/security.html",
        {
            "keys": factors.keys(user),
            "apps": factors.apps(user),
            "count": factors.count(user),
            "recovery_remaining": recovery.remaining() if recovery else None,
            "method": request.session.get(signin.METHOD_KEY, ""),
        },
    )


@require_POST
def remove_factor(request, kind, pk):
    device = factors.find(request.user, kind, pk)
    if device is None:
        messages.error(request, _("That key or app is not one of yours, or is already gone."))
        return redirect("accounts:security")
    try:
        factors.remove(request.user, device, request=request)
    except factors.LastFactor:
        messages.error(
            request,
            _(
                "This is your only security key or authenticator app: add another before "
                "removing it, or you could not sign in."
            ),
        )
    else:
        messages.success(request, format_html(_("Removed “{}”."), device.name))
    return redirect("accounts:security")


@require_POST
def sign_out_everywhere(request):
    signin.sign_out_everywhere(request)
    messages.success(
        request, _("You are signed out everywhere, in this browser too. Sign in again.")
    )
    return redirect("wagtailadmin_login")
