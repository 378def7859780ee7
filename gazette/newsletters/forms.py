"""The signup form, as posted from the box on cached reader pages and from /newsletters/."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Newsletter, normalise_email

# Named like a field a person would fill in, so that form-filling bots do; people never see
# it (the box hides it with a class, and screen readers skip it).
HONEYPOT = "website"


class _NewsletterChoiceForm(forms.Form):
    """A form with a ``newsletters`` field whose choices are the given newsletters' slugs."""

    def __init__(self, *args, newsletters: list[Newsletter], **kwargs):
        super().__init__(*args, **kwargs)
        self.newsletter_list = newsletters
        self.fields["newsletters"].choices = [(item.slug, item.name) for item in newsletters]

    def chosen(self) -> list[Newsletter]:
        slugs = set(self.cleaned_data["newsletters"])
        return [item for item in self.newsletter_list if item.slug in slugs]


class SignupForm(_NewsletterChoiceForm):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        error_messages={"required": _("Enter your email address.")},
    )
    newsletters = forms.MultipleChoiceField(
        label=_("Newsletters"),
        error_messages={
            "required": _("Choose at least one newsletter."),
            "invalid_choice": _("Choose newsletters from the list."),
        },
    )
    source = forms.CharField(required=False, max_length=500)
    website = forms.CharField(required=False, max_length=500)

    def clean_email(self) -> str:
        try:
            return normalise_email(self.cleaned_data["email"])
        except ValidationError:
            raise ValidationError(
                _("This does not look like an email address. Check it and try again."),
                code="invalid",
            ) from None

    def clean_source(self) -> str:
        # Only a path on this site is recorded as where consent was given.
        source = self.cleaned_data["source"]
        return source if source.startswith("/") and not source.startswith("//") else ""

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class PreferencesForm(_NewsletterChoiceForm):
    """The preference page: the newsletters wanted (none ticked leaves them all), and which
    button was pressed."""

    SAVE = "save"
    LEAVE_ALL = "leave_all"

    newsletters = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": _("Choose newsletters from the list.")},
    )
    action = forms.ChoiceField(
        choices=[(SAVE, SAVE), (LEAVE_ALL, LEAVE_ALL)],
        error_messages={
            "required": _("Press one of the buttons to save your choice."),
            "invalid_choice": _("Press one of the buttons to save your choice."),
        },
    )

    def wanted(self) -> set[int]:
        if self.cleaned_data["action"] == self.LEAVE_ALL:
            return set()
        return {item.pk for item in self.chosen()}
