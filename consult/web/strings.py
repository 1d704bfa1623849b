"""What the invitee pages say, in Dutch and English. The templates hold the structure once and
take their words from here (`t.<key>`, with `{name}` placeholders filled by `.format()`)."""

from __future__ import annotations

from collections.abc import Mapping

Lang = str

NL: dict[str, str] = {
    "html_lang": "nl",
    "skip": "Naar de inhoud",
    "site": "Commissie Werken in de Zorg · consultatie",
    "switch_legend": "Taal",
    "switch_to": "English",
    "switch_to_lang": "en",
    "switch_hint": "Switch to English",
    "footer": "Vragen? Mail het secretariaat:",
    "error_title": "Er is iets niet goed gegaan",
    "notice_title": "Gelukt",
    # The invitation page
    "page_title": "Uw uitnodiging",
    "personal_page": "Persoonlijke pagina van {name}. Deze link is alleen voor u.",
    "status_pending": "U heeft nog niet geantwoord.",
    "status_accepted": "U doet mee. Dank u wel!",
    "status_declined": "U heeft laten weten dat u niet meedoet.",
    "status_delegated": (
        "U heeft deze uitnodiging doorgegeven aan een collega. "
        "Uw collega heeft een eigen uitnodiging gekregen."
    ),
    "answer_heading": "Doet u mee?",
    "answer_intro_pending": (
        "U bent uitgenodigd voor een online gesprek in een kleine groep over het thema "
        "“{theme}”. Laat u uiterlijk {deadline} weten of u meedoet?"
    ),
    "answer_intro_accepted": "Toch verhinderd? U kunt uw antwoord wijzigen tot {deadline}.",
    "answer_intro_declined": "Kunt u toch? U kunt uw antwoord wijzigen tot {deadline}.",
    "answer_change_heading": "Uw antwoord wijzigen",
    "answer_legend": "Uw antwoord",
    "accept": "Ja, ik doe mee",
    "decline": "Nee, ik doe niet mee",
    "accept_again": "Ik doe toch mee",
    "decline_again": "Ik doe toch niet mee",
    "answer_closed": "De termijn om te antwoorden is verstreken ({deadline}).",
    "withdraw_intro": (
        "Kunt u toch niet meedoen? Laat het ons weten: uw plek komt vrij voor een ander en u "
        "krijgt een annulering voor uw agenda."
    ),
    "ranking_heading": "Volgorde van de thema's",
    "ranking_intro": (
        "U bent uitgenodigd voor meerdere thema's. Zet ze in volgorde van voorkeur: we delen u "
        "in bij uw eerste keuze als dat kan."
    ),
    "ranking_legend": "Thema's in volgorde van voorkeur",
    "ranking_choice": "Keuze {n}",
    "ranking_button": "Volgorde opslaan",
    "availability_heading": "Wanneer kunt u?",
    "availability_intro": (
        "Vink alle momenten aan waarop u kunt. Hoe meer momenten, hoe beter we gemengde groepen "
        "kunnen samenstellen."
    ),
    "availability_legend": "Momenten voor {theme}",
    "availability_button": "Beschikbaarheid opslaan",
    "availability_none": "Er zijn nog geen momenten voor uw thema's.",
    "availability_first_accept": (
        "Geeft u eerst aan dat u meedoet? Daarna kiest u hier de momenten."
    ),
    "availability_closed": "Momenten die u heeft aangevinkt:",
    "availability_nothing_marked": "U heeft geen momenten aangevinkt.",
    "session_heading": "Uw sessie",
    "session_theme": "Thema",
    "session_when": "Wanneer",
    "session_join": "Deelnemen",
    "session_ics": "Zet de sessie in uw agenda (.ics-bestand)",
    "session_input": "Naar het inbrengformulier",
    "session_cancelled": (
        "Uw sessie van {when} gaat niet door. Het secretariaat neemt contact met u op."
    ),
    "delegate_heading": "Kunt u niet, maar een collega wel?",
    "delegate_intro": "Geef de uitnodiging door; uw collega krijgt dan een eigen uitnodiging.",
    "delegate_link": "Uitnodiging doorgeven aan een collega",
    # Notices after a saved form
    "saved_accepted": (
        "Dank u wel: u doet mee. U krijgt een bevestiging per e-mail. "
        "Vink hieronder de momenten aan waarop u kunt."
    ),
    "saved_declined": "Uw antwoord is opgeslagen: u doet niet mee.",
    "saved_availability": "Uw beschikbaarheid is opgeslagen.",
    "saved_ranking": "De volgorde van de thema's is opgeslagen.",
    "saved_delegated": "Uw collega krijgt een uitnodiging per e-mail.",
    "saved_draft": "Uw concept is opgeslagen. U kunt het wijzigen tot {deadline}.",
    "saved_submitted": (
        "Dank u wel: uw inbreng is ingediend. U krijgt een bevestiging per e-mail. "
        "U kunt uw antwoorden nog wijzigen tot {deadline}."
    ),
    # Delegation page
    "delegate_title": "Uitnodiging doorgeven",
    "delegate_explain": (
        "Uw collega krijgt een eigen uitnodiging met een eigen link. Uw eigen uitnodiging "
        "vervalt daarmee."
    ),
    "delegate_legend": "Gegevens van uw collega",
    "field_name": "Naam",
    "field_email": "E-mailadres",
    "field_email_hint": "Hier sturen we de uitnodiging naartoe.",
    "field_organisation": "Organisatie",
    "field_sector": "Sector van die organisatie",
    "field_sector_choose": "Kies een sector",
    "field_language": "Taal van de uitnodiging",
    "language_nl": "Nederlands",
    "language_en": "Engels",
    "delegate_button": "Uitnodiging doorgeven",
    "back": "Terug naar uw uitnodiging",
    # Input page
    "input_title": "Uw inbreng",
    "input_before_intro": (
        "Vóór de sessie over “{theme}” ({when}) horen we graag uw antwoord op de richtvragen. "
        "Beantwoord wat u wilt."
    ),
    "input_after_intro": (
        "Wat neemt u mee uit de sessie over “{theme}”? Deel uw geleerde lessen en uw voorstellen."
    ),
    "input_deadline": "U kunt uw inbreng opslaan en wijzigen tot {deadline}.",
    "input_closed": "De termijn voor inbreng is verstreken ({deadline}). Dit heeft u ingebracht:",
    "input_not_scheduled": "Het inbrengformulier gaat open zodra u bent ingedeeld in een sessie.",
    "question_n": "Vraag {n}",
    "label_lessons": "Geleerde lessen",
    "label_proposals": "Voorstellen",
    "max_hint": "Maximaal 5.000 tekens.",
    "permission_legend": "Mogen we dit antwoord citeren?",
    "permission_explain": (
        "We gebruiken elk antwoord voor de bouwstenen; hier kiest u alleen of en hoe we u in "
        "het verslag mogen citeren."
    ),
    "perm_attributable": "Ja, met mijn naam",
    "perm_role_only": "Ja, maar alleen met mijn functie, sector en regio",
    "perm_not_quotable": "Nee, niet citeren",
    "draft_button": "Opslaan als concept",
    "submit_button": "Inbreng versturen",
    "resubmit_button": "Wijzigingen versturen",
    "state_draft": "Concept, nog niet ingediend",
    "state_submitted": "Ingediend",
    "no_answer": "(geen antwoord)",
    "earlier_heading": "Uw antwoorden vóór de sessie",
    # Message pages
    "csrf_title": "Formulier verlopen",
    "csrf_body": (
        "Om uw gegevens te beschermen konden we dit formulier niet verwerken. Ga terug naar uw "
        "pagina, laad die opnieuw en probeer het nog eens."
    ),
    "too_large_title": "Te veel tekst",
    "too_large_body": "Het formulier bevat meer tekst dan we kunnen verwerken.",
    # Error messages: "<code>_<field>" is tried before "<code>".
    "err_deadline": "De termijn om te antwoorden is verstreken.",
    "err_delegated": "U heeft deze uitnodiging al doorgegeven aan een collega.",
    "err_not_accepted": "Geeft u eerst aan dat u meedoet.",
    "err_unknown_slot": "Kies alleen uit de getoonde momenten.",
    "err_bad_ranking": "Kies elk thema precies één keer.",
    "err_unknown_theme": "Kies elk thema precies één keer.",
    "err_bad_answer": "Kies ja of nee.",
    "err_self": "U kunt de uitnodiging niet aan uzelf doorgeven.",
    "err_already_invited": "Deze collega is al uitgenodigd voor deze ronde.",
    "err_required_name": "Vul de naam van uw collega in.",
    "err_required_email": "Vul het e-mailadres van uw collega in.",
    "err_required_organisation": "Vul de organisatie van uw collega in.",
    "err_required_sector": "Kies de sector van de organisatie van uw collega.",
    "err_unknown_sector": "Kies een sector uit de lijst.",
    "err_required_language": "Kies de taal van de uitnodiging.",
    "err_not_a_name": (
        "Vul alleen een naam in, zonder webadres, e-mailadres of tekens als < en >."
    ),
    "err_too_many": (
        "U heeft vandaag te vaak geprobeerd deze uitnodiging door te geven. Probeer het morgen "
        "opnieuw, of neem contact op met het secretariaat."
    ),
    "err_max_hops": (
        "Deze uitnodiging is aan u doorgegeven en kan niet nog eens worden doorgegeven. Kunt u "
        "niet? Laat het ons weten op uw pagina, of neem contact op met het secretariaat."
    ),
    "err_too_long": "Dit is te lang.",
    "err_bad_email": "Vul een geldig e-mailadres in, zoals naam@organisatie.nl.",
    "err_too_long_text": "Uw antwoord is langer dan 5.000 tekens. Maak het korter.",
    "err_bad_permission": "Kies of we dit antwoord mogen citeren.",
    "err_cannot_clear": "Een ingediend antwoord kunt u wijzigen, maar niet leegmaken.",
    "err_nothing": "Vul ten minste één antwoord in voordat u verstuurt.",
    "err_input_closed": "De termijn voor inbreng is verstreken.",
    "err_invalid": "Dit kunnen we niet verwerken.",
}

EN: dict[str, str] = {
    "html_lang": "en",
    "skip": "Skip to content",
    "site": "Commissie Werken in de Zorg · consultation",
    "switch_legend": "Language",
    "switch_to": "Nederlands",
    "switch_to_lang": "nl",
    "switch_hint": "Schakel over naar Nederlands",
    "footer": "Questions? Email the secretariat:",
    "error_title": "There is a problem",
    "notice_title": "Done",
    "page_title": "Your invitation",
    "personal_page": "Personal page of {name}. This link is for you only.",
    "status_pending": "You have not answered yet.",
    "status_accepted": "You are taking part. Thank you!",
    "status_declined": "You have told us you will not take part.",
    "status_delegated": (
        "You passed this invitation on to a colleague, who has received an invitation of their own."
    ),
    "answer_heading": "Will you take part?",
    "answer_intro_pending": (
        "You are invited to an online conversation in a small group on the theme “{theme}”. "
        "Please let us know by {deadline} whether you will take part."
    ),
    "answer_intro_accepted": (
        "Can't make it after all? You can change your answer until {deadline}."
    ),
    "answer_intro_declined": (
        "Can you make it after all? You can change your answer until {deadline}."
    ),
    "answer_change_heading": "Change your answer",
    "answer_legend": "Your answer",
    "accept": "Yes, I will take part",
    "decline": "No, I will not take part",
    "accept_again": "I will take part after all",
    "decline_again": "I cannot take part after all",
    "answer_closed": "The deadline for answers has passed ({deadline}).",
    "withdraw_intro": (
        "Can you no longer take part? Let us know: your place goes to someone else and you will "
        "receive a cancellation for your calendar."
    ),
    "ranking_heading": "Order of the themes",
    "ranking_intro": (
        "You are invited to several themes. Put them in order of preference: we place you in "
        "your first choice where we can."
    ),
    "ranking_legend": "Themes in order of preference",
    "ranking_choice": "Choice {n}",
    "ranking_button": "Save order",
    "availability_heading": "When can you make it?",
    "availability_intro": (
        "Tick every time that suits you. The more times you tick, the better we can put "
        "mixed groups together."
    ),
    "availability_legend": "Times for {theme}",
    "availability_button": "Save availability",
    "availability_none": "There are no times for your themes yet.",
    "availability_first_accept": (
        "Please tell us first that you will take part; then pick times here."
    ),
    "availability_closed": "Times you ticked:",
    "availability_nothing_marked": "You did not tick any times.",
    "session_heading": "Your session",
    "session_theme": "Theme",
    "session_when": "When",
    "session_join": "Join",
    "session_ics": "Add the session to your calendar (.ics file)",
    "session_input": "Go to the input form",
    "session_cancelled": (
        "Your session of {when} will not take place. The secretariat will contact you."
    ),
    "delegate_heading": "Can't make it, but a colleague can?",
    "delegate_intro": (
        "Pass the invitation on; your colleague then gets an invitation of their own."
    ),
    "delegate_link": "Pass the invitation on to a colleague",
    "saved_accepted": (
        "Thank you: you are taking part. You will get a confirmation by email. "
        "Tick the times that suit you below."
    ),
    "saved_declined": "Your answer is saved: you will not take part.",
    "saved_availability": "Your availability is saved.",
    "saved_ranking": "The order of the themes is saved.",
    "saved_delegated": "Your colleague will get an invitation by email.",
    "saved_draft": "Your draft is saved. You can change it until {deadline}.",
    "saved_submitted": (
        "Thank you: your input is submitted. You will get a confirmation by email. "
        "You can still change your answers until {deadline}."
    ),
    "delegate_title": "Pass on the invitation",
    "delegate_explain": (
        "Your colleague gets an invitation of their own, with their own link. Your invitation "
        "then lapses."
    ),
    "delegate_legend": "Your colleague",
    "field_name": "Name",
    "field_email": "Email address",
    "field_email_hint": "We send the invitation to this address.",
    "field_organisation": "Organisation",
    "field_sector": "Sector of that organisation",
    "field_sector_choose": "Choose a sector",
    "field_language": "Language of the invitation",
    "language_nl": "Dutch",
    "language_en": "English",
    "delegate_button": "Pass on the invitation",
    "back": "Back to your invitation",
    "input_title": "Your input",
    "input_before_intro": (
        "Before the session on “{theme}” ({when}) we would like your answers to the guiding "
        "questions. Answer as many as you like."
    ),
    "input_after_intro": (
        "What do you take away from the session on “{theme}”? Share your lessons learned and "
        "your proposals."
    ),
    "input_deadline": "You can save and change your input until {deadline}.",
    "input_closed": "The deadline for input has passed ({deadline}). This is what you gave us:",
    "input_not_scheduled": "The input form opens once you have been placed in a session.",
    "question_n": "Question {n}",
    "label_lessons": "Lessons learned",
    "label_proposals": "Proposals",
    "max_hint": "At most 5,000 characters.",
    "permission_legend": "May we quote this answer?",
    "permission_explain": (
        "We use every answer for the building blocks; here you only choose whether and how we "
        "may quote you in the report."
    ),
    "perm_attributable": "Yes, with my name",
    "perm_role_only": "Yes, but only with my role, sector and region",
    "perm_not_quotable": "No, do not quote me",
    "draft_button": "Save as draft",
    "submit_button": "Submit input",
    "resubmit_button": "Submit changes",
    "state_draft": "Draft, not submitted yet",
    "state_submitted": "Submitted",
    "no_answer": "(no answer)",
    "earlier_heading": "Your answers before the session",
    "csrf_title": "Form expired",
    "csrf_body": (
        "To protect your details we could not process this form. Go back to your page, reload "
        "it and try again."
    ),
    "too_large_title": "Too much text",
    "too_large_body": "The form holds more text than we can process.",
    "err_deadline": "The deadline for answers has passed.",
    "err_delegated": "You have already passed this invitation on to a colleague.",
    "err_not_accepted": "Please tell us first that you will take part.",
    "err_unknown_slot": "Please choose only from the times shown.",
    "err_bad_ranking": "Choose each theme exactly once.",
    "err_unknown_theme": "Choose each theme exactly once.",
    "err_bad_answer": "Choose yes or no.",
    "err_self": "You cannot pass the invitation on to yourself.",
    "err_already_invited": "This colleague is already invited to this round.",
    "err_required_name": "Enter your colleague's name.",
    "err_required_email": "Enter your colleague's email address.",
    "err_required_organisation": "Enter your colleague's organisation.",
    "err_required_sector": "Choose the sector of your colleague's organisation.",
    "err_unknown_sector": "Choose a sector from the list.",
    "err_required_language": "Choose the language of the invitation.",
    "err_not_a_name": (
        "Enter a name only, without a web address, email address or characters such as < and >."
    ),
    "err_too_many": (
        "You have tried to pass this invitation on too often today. Please try again tomorrow, "
        "or contact the secretariat."
    ),
    "err_max_hops": (
        "This invitation was passed on to you and cannot be passed on again. Can't make it? "
        "Let us know on your page, or contact the secretariat."
    ),
    "err_too_long": "This is too long.",
    "err_bad_email": "Enter a valid email address, such as name@organisation.nl.",
    "err_too_long_text": "Your answer is longer than 5,000 characters. Please shorten it.",
    "err_bad_permission": "Choose whether we may quote this answer.",
    "err_cannot_clear": "You can change a submitted answer, but not empty it.",
    "err_nothing": "Fill in at least one answer before you submit.",
    "err_input_closed": "The deadline for input has passed.",
    "err_invalid": "We cannot process this.",
}

STRINGS: Mapping[Lang, Mapping[str, str]] = {"nl": NL, "en": EN}

PERMISSIONS = ("attributable", "role_only", "not_quotable")


def strings(language: str) -> Mapping[str, str]:
    return STRINGS["en" if language == "en" else "nl"]


def error_message(language: str, field: str, code: str) -> str:
    """The message for an error `code` on form field `field`: a message made for that field
    (e.g. err_required_email, or err_too_long_text for any text-* field) wins over the
    general one for the code."""
    t = strings(language)
    kind = field.split("-", 1)[0]
    for key in (f"err_{code}_{field}", f"err_{code}_{kind}", f"err_{code}"):
        if key in t:
            return t[key]
    return t["err_invalid"]
