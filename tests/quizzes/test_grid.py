"""The mapping grid: every choice-to-tag weight of a quiz on one screen, and its CSV."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quizzes import selectors, services
from quizzes.catalogue.selectors import catalog_tags
from quizzes.errors import InvalidGrid
from quizzes.models import ChoiceWeight
from tests.factories import (
    ChoiceFactory,
    ChoiceWeightFactory,
    ProductFactory,
    QuestionFactory,
    QuizFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    ProductFactory(sku="A", tags=["oily-skin", "fragrance"])
    ProductFactory(sku="B", tags=["dry-skin"])
    quiz = QuizFactory(slug="skin")
    skin = QuestionFactory(quiz=quiz, position=1, text="Skin type?")
    ChoiceFactory(question=skin, position=1, label="Oily")
    ChoiceFactory(question=skin, position=2, label="Dry")
    climate = QuestionFactory(quiz=quiz, position=2, text="Climate?")
    ChoiceFactory(question=climate, position=1, label="Humid")
    ChoiceFactory(question=climate, position=2, label="Cold")
    QuestionFactory(quiz=quiz, position=3, text="Email?", kind="email")  # no row
    return quiz


def choice(quiz, label):
    return quiz.questions.get(choices__label=label).choices.get(label=label)


def weights(quiz) -> dict:
    return {(w.choice.label, w.tag or w.product.sku): w.weight
            for w in ChoiceWeight.objects.filter(choice__question__quiz=quiz)
            .select_related("choice", "product")}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_grid_has_a_row_per_choice_and_a_column_per_catalog_tag(quiz):
    ChoiceWeightFactory(choice=choice(quiz, "Oily"), tag="oily-skin", weight=3)

    grid = selectors.quiz_grid(quiz=quiz)

    assert grid.tags == ["dry-skin", "fragrance", "oily-skin"]
    assert [(r.question.text, r.choice.label) for r in grid.rows] == [
        ("Skin type?", "Oily"), ("Skin type?", "Dry"), ("Climate?", "Humid"),
        ("Climate?", "Cold")]
    assert grid.rows[0].weights == {"oily-skin": 3}


def test_the_csv_round_trips(quiz):
    ChoiceWeightFactory(choice=choice(quiz, "Oily"), tag="oily-skin", weight=3)
    ChoiceWeightFactory(choice=choice(quiz, "Oily"), tag="dry-skin", weight=-2)
    exported = selectors.quiz_grid_csv(quiz=quiz)
    table = rows(exported)
    assert table[0] == ["question", "choice_id", "choice", "dry-skin", "fragrance", "oily-skin"]
    assert table[1][2:] == ["Oily", "-2", "", "3"]

    # Staff edit the sheet: Oily loses dry-skin, Humid gains fragrance -1.
    table[1][3] = ""
    table[3][4] = "-1"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    changed = services.quiz_grid_import(quiz=quiz, text=out.getvalue(),
                                        known_tags=catalog_tags())

    assert changed == 2
    assert weights(quiz) == {("Oily", "oily-skin"): 3, ("Humid", "fragrance"): -1}
    assert rows(selectors.quiz_grid_csv(quiz=quiz)) == table
    # Importing the same file again changes nothing.
    assert services.quiz_grid_import(quiz=quiz, text=out.getvalue(),
                                     known_tags=catalog_tags()) == 0


def test_an_import_with_any_bad_cell_writes_nothing_and_names_every_problem(quiz):
    ChoiceWeightFactory(choice=choice(quiz, "Oily"), tag="oily-skin", weight=3)
    other_quiz_choice = ChoiceFactory(label="Elsewhere")
    oily, dry = choice(quiz, "Oily").pk, choice(quiz, "Dry").pk
    text = (
        "question,choice_id,choice,oily-skin,glitter\n"
        f"Skin type?,{oily},Oily,5,\n"
        f"Skin type?,{dry},Dry,two,\n"
        f"Other,{other_quiz_choice.pk},Elsewhere,1,\n"
        "Other,999999,Gone,1,\n"
    )

    with pytest.raises(InvalidGrid) as caught:
        services.quiz_grid_import(quiz=quiz, text=text, known_tags=catalog_tags())

    fields = caught.value.fields
    assert fields["header.5"] == "Column 5: “glitter” is not a tag of the catalog."
    assert fields["row.3.oily-skin"] == "Row 3, oily-skin: “two” is not a whole number."
    assert fields["row.4"] == (f"Row 4: choice {other_quiz_choice.pk} is not a choice of "
                               "this quiz.")
    assert fields["row.5"] == "Row 5: choice 999999 is not a choice of this quiz."
    assert weights(quiz) == {("Oily", "oily-skin"): 3}  # the good row 2 was not applied


def test_a_file_that_is_not_a_grid_is_refused(quiz):
    with pytest.raises(InvalidGrid) as caught:
        services.quiz_grid_import(quiz=quiz, text="sku,name\nA,B\n", known_tags=set())
    assert "first columns must be question, choice_id, choice" in caught.value.message


def test_product_weights_are_left_alone_by_the_grid(quiz):
    oily = choice(quiz, "Oily")
    ChoiceWeightFactory(choice=oily, tag="", product=ProductFactory(sku="C"), weight=4)

    services.quiz_grid_set(quiz=quiz, weights={(oily.pk, "oily-skin"): 2})

    assert weights(quiz) == {("Oily", "C"): 4, ("Oily", "oily-skin"): 2}


def grid_url(quiz, name="quizzes_quiz_grid"):
    return reverse(f"admin:{name}", args=[quiz.pk])


def test_staff_set_weights_in_the_grid_screen(admin_client, quiz):
    oily, cold = choice(quiz, "Oily"), choice(quiz, "Cold")
    ChoiceWeightFactory(choice=cold, tag="dry-skin", weight=1)
    page = admin_client.get(grid_url(quiz))
    assert page.status_code == 200
    assert 'aria-label="Oily → oily-skin"' in page.content.decode()

    response = admin_client.post(grid_url(quiz), {f"w-{oily.pk}-oily-skin": "3",
                                                  f"w-{oily.pk}-fragrance": "-1",
                                                  f"w-{cold.pk}-dry-skin": ""})

    assert response.status_code == 302
    assert weights(quiz) == {("Oily", "oily-skin"): 3, ("Oily", "fragrance"): -1}


def test_a_bad_cell_in_the_grid_screen_saves_nothing_and_is_marked(admin_client, quiz):
    oily, dry = choice(quiz, "Oily"), choice(quiz, "Dry")

    response = admin_client.post(grid_url(quiz), {f"w-{oily.pk}-oily-skin": "3",
                                                  f"w-{dry.pk}-dry-skin": "lots"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "“lots” is not a whole number." in body
    assert 'aria-invalid="true"' in body
    assert weights(quiz) == {}


def test_the_grid_screen_exports_and_imports_csv(admin_client, quiz):
    ChoiceWeightFactory(choice=choice(quiz, "Dry"), tag="dry-skin", weight=2)
    exported = admin_client.get(grid_url(quiz, "quizzes_quiz_grid_export"))
    assert exported["Content-Type"].startswith("text/csv")
    table = rows(exported.content.decode())
    assert table[2][2:4] == ["Dry", "2"]
    table[2][3] = "5"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    text = out.getvalue()

    response = admin_client.post(grid_url(quiz), {
        "import": "1", "file": SimpleUploadedFile("grid.csv", text.encode(), "text/csv")})

    assert response.status_code == 302
    assert weights(quiz) == {("Dry", "dry-skin"): 5}


def test_a_bad_import_in_the_screen_shows_the_error(admin_client, quiz):
    response = admin_client.post(grid_url(quiz), {
        "import": "1", "file": SimpleUploadedFile("grid.csv", b"\xff\xfe\x00", "text/csv")},
        follow=True)

    assert "not UTF-8" in response.content.decode()
