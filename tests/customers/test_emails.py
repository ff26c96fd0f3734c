"""Emails go out with a subject, a text part and an HTML part, in the customer's language."""

from django.core import mail

from customers.emails import email_send


def test_an_email_has_a_subject_a_text_part_and_an_html_part(tmp_path, settings):
    (tmp_path / "hello_subject.txt").write_text("Hello   {{ name }}\n")
    (tmp_path / "hello.txt").write_text("Hi {{ name }}, welcome to {{ site_name }}.")
    (tmp_path / "hello.html").write_text(
        '{% extends "emails/base.html" %}{% block content %}<p>Hi {{ name }}</p>{% endblock %}')
    # Assigned, not mutated in place, so the template engines are rebuilt with the new DIRS.
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    settings.SITE_NAME = "Glow & Co"

    email_send(to="ada@example.com", template="hello", context={"name": "Ada"})

    [message] = mail.outbox
    assert message.subject == "Hello Ada"
    assert message.to == ["ada@example.com"]
    assert message.body == "Hi Ada, welcome to Glow & Co."
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<p>Hi Ada</p>" in html and "Glow &amp; Co" in html
