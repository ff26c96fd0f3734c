"""Emails go out with a subject, a text part and an HTML part, in the customer's language."""

from django.core import mail

from kernel.emails import email_normalise, email_send


def test_an_email_has_a_subject_a_text_part_and_an_html_part(tmp_path, settings, db):
    # db: every e-mail reads the shop's branding (admin), which names it SITE_NAME when blank.
    (tmp_path / "hello_subject.txt").write_text("Hello   {{ name }}\n")
    (tmp_path / "hello.txt").write_text("Hi {{ name }}, welcome to {{ site_name }}.")
    (tmp_path / "hello.html").write_text(
        '{% extends "emails/base.html" %}{% block content %}<p>Hi {{ name }}</p>{% endblock %}')
    # A new TEMPLATES value (not an edit in place) so the cached template engines are reset.
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]},
                          *settings.TEMPLATES[1:]]
    settings.SITE_NAME = "Glow & Co"

    email_send(to="ada@example.com", template="hello", context={"name": "Ada"})

    [message] = mail.outbox
    assert message.subject == "Hello Ada"
    assert message.to == ["ada@example.com"]
    assert message.body == "Hi Ada, welcome to Glow & Co."
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<p>Hi Ada</p>" in html and "Glow &amp; Co" in html


def test_an_address_is_stored_and_looked_up_trimmed_and_in_lower_case():
    assert email_normalise("  Ada.Lovelace@Example.COM\n") == "ada.lovelace@example.com"
    assert email_normalise(None) == email_normalise("") == ""
