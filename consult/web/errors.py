"""What an invitee page says about a refused form: one message per error code, or per code and
form field where the field needs its own words."""

from __future__ import annotations

from consult.i18n import N_, gettext

# (code, field or field kind) -> message id; a field's kind is its name up to the first "-"
# ("text" for text-q3). None is the message for the code on any other field.
ERRORS: dict[tuple[str, str | None], str] = {
    ("deadline", None): N_("The deadline for answers has passed."),
    ("delegated", None): N_("You have already passed this invitation on to a colleague."),
    ("not_accepted", None): N_("Please tell us first that you will take part."),
    ("unknown_slot", None): N_("Please choose only from the times shown."),
    ("bad_ranking", None): N_("Choose each theme exactly once."),
    ("unknown_theme", None): N_("Choose each theme exactly once."),
    ("bad_answer", None): N_("Choose yes or no."),
    ("self", None): N_("You cannot pass the invitation on to yourself."),
    ("already_invited", None): N_("This colleague is already invited to this round."),
    ("required", "name"): N_("Enter your colleague's name."),
    ("required", "email"): N_("Enter your colleague's email address."),
    ("required", "organisation"): N_("Enter your colleague's organisation."),
    ("required", "sector"): N_("Choose the sector of your colleague's organisation."),
    ("unknown_sector", None): N_("Choose a sector from the list."),
    ("required", "language"): N_("Choose the language of the invitation."),
    ("not_a_name", None): N_(
        "Enter a name only, without a web address, email address or characters such as < and >."
    ),
    ("too_many", None): N_(
        "You have tried to pass this invitation on too often today. Please try again tomorrow, "
        "or contact the secretariat."
    ),
    ("max_hops", None): N_(
        "This invitation was passed on to you and cannot be passed on again. Can't make it? "
        "Let us know on your page, or contact the secretariat."
    ),
    ("too_long", None): N_("This is too long."),
    ("too_long", "text"): N_("Your answer is longer than 5,000 characters. Please shorten it."),
    ("bad_email", None): N_("Enter a valid email address, such as name@organisation.nl."),
    ("bad_permission", None): N_("Choose whether we may quote this answer."),
    ("cannot_clear", None): N_("You can change a submitted answer, but not empty it."),
    ("nothing", None): N_("Fill in at least one answer before you submit."),
    ("input_closed", None): N_("The deadline for input has passed."),
}
# For a code no page expects.
INVALID = N_("We cannot process this.")


def error_id(field: str, code: str) -> str:
    """The message id for an error `code` on form field `field`: one made for that field (or
    for its kind) wins over the general one for the code."""
    kind = field.split("-", 1)[0]
    for key in ((code, field), (code, kind), (code, None)):
        if key in ERRORS:
            return ERRORS[key]
    return INVALID


def error_message(language: str, field: str, code: str) -> str:
    return gettext(error_id(field, code), language)
