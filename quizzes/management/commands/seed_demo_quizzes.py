"""manage.py seed_demo_quizzes: the demo shop's catalog and two published quizzes with their
history, so the quiz pages, the mapping grid and the analytics have something to show."""

import colorsys
import datetime as dt
import hashlib
import io
import random
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname
from PIL import Image, ImageDraw

from customers import selectors as customer_selectors
from customers.management.commands.seed_demo import PRODUCTS
from customers.models import Customer
from quizzes import services
from quizzes.catalogue import services as catalogue_services
from quizzes.models import Choice, ChoiceWeight, Question, Quiz, QuizResponse
from quizzes.responses import services as response_services
from quizzes.responses.selectors import quiz_definition

SEED = 20241104
SHOP_URL = "https://shop.example.com/products/"

# The demo SKUs (customers/management/commands/seed_demo.py) with their tags.
TAGS = {
    "SER-VITC-30": ["serum", "dullness", "normal-skin", "combination-skin", "fragrance"],
    "SER-HA-30": ["serum", "dehydration", "dry-skin", "sensitive-skin", "fragrance-free",
                  "gentle"],
    "SER-NIA-30": ["serum", "oily-skin", "pores", "acne", "combination-skin",
                   "fragrance-free"],
    "SER-RET-30": ["serum", "ageing", "night", "normal-skin", "dry-skin"],
    "CLN-GEL-150": ["cleanser", "oily-skin", "combination-skin", "gentle", "fragrance-free",
                    "humid"],
    "CLN-OIL-200": ["cleanser", "dry-skin", "normal-skin", "fragrance"],
    "CLN-BALM-100": ["cleanser", "dry-skin", "sensitive-skin", "cold", "rich"],
    "SPF-50-50": ["sunscreen", "spf", "light", "oily-skin", "humid", "fragrance-free",
                  "outdoors"],
    "SPF-30-TINT": ["sunscreen", "spf", "tinted", "sensitive-skin", "dry-skin", "gentle"],
    "MST-LIGHT-50": ["moisturiser", "light", "oily-skin", "combination-skin", "humid"],
    "MST-RICH-50": ["moisturiser", "rich", "dry-skin", "sensitive-skin", "cold",
                    "dehydration"],
    "TNR-BHA-100": ["toner", "acne", "pores", "oily-skin", "fragrance"],
    "EYE-CAF-15": ["eye", "dark-circles", "ageing", "fragrance-free"],
    "MSK-CLAY-75": ["mask", "oily-skin", "pores", "acne", "fragrance"],
}
CONSUMABLE = {"CLN-GEL-150", "CLN-OIL-200", "CLN-BALM-100", "SPF-50-50", "SPF-30-TINT"}

# Quizzes: (slug, title, intro, results heading, results text, questions). A question is
# (text, kind, attribute, extra, choices); a choice is (label, value, tag weights, extra).
# "branch" in a choice's extra names the question (by index) it jumps to.
SKIN_QUIZ = (
    "skin-routine", "Find your skincare routine",
    "Five quick questions about your skin and where you live; we'll suggest the products "
    "that fit.",
    "Your routine", "Picked for what you told us. Start with one product and add the next "
    "after two weeks.",
    [
        ("What's your skin type?", "single", "skin_type", {}, [
            ("Dry", "dry", {"dry-skin": 3, "rich": 1, "light": -1}, {"branch": 2}),
            ("Oily", "oily", {"oily-skin": 3, "light": 1, "rich": -2}, {"branch": 2}),
            ("Combination", "combination", {"combination-skin": 3, "oily-skin": 1},
             {"branch": 2}),
            ("Normal", "normal", {"normal-skin": 3}, {"branch": 2}),
            ("Sensitive", "sensitive", {"sensitive-skin": 3, "gentle": 2}, {}),
        ]),
        ("Does fragrance irritate your skin?", "single", "fragrance_sensitive", {}, [
            ("Yes: fragrance-free only", "yes", {"fragrance-free": 1},
             {"excluded_tags": ["fragrance"]}),
            ("No, it's fine", "no", {}, {}),
        ]),
        ("What's the climate where you live?", "single", "climate", {}, [
            ("Humid", "humid", {"humid": 2, "light": 1}, {}),
            ("Dry", "dry", {"dehydration": 2, "rich": 1}, {}),
            ("Temperate", "temperate", {}, {}),
            ("Cold", "cold", {"cold": 2, "rich": 2}, {}),
        ]),
        ("What would you like to work on?", "multiple", "concerns", {"max_choices": 2}, [
            ("Breakouts", "breakouts", {"acne": 3, "pores": 1}, {}),
            ("Dullness", "dullness", {"dullness": 3}, {}),
            ("Fine lines", "fine-lines", {"ageing": 3}, {}),
            ("Dehydration", "dehydration", {"dehydration": 3}, {}),
            ("Tired eyes", "tired-eyes", {"dark-circles": 3}, {}),
        ]),
        ("How often do you break out? (1 never, 5 very often)", "scale", "breakouts", {}, []),
        ("Where should we send your routine?", "email", "", {"required": False}, []),
    ],
)
SUN_QUIZ = (
    "sun-care", "Which sunscreen is yours?",
    "Three questions to find the daily sunscreen you'll actually wear.",
    "Your sunscreen", "Apply it every morning, even on cloudy days.",
    [
        ("How much of the day are you outdoors?", "single", "outdoor_time", {}, [
            ("Mostly indoors", "indoors", {"spf": 1}, {}),
            ("A few hours", "some", {"spf": 2}, {}),
            ("All day", "all-day", {"spf": 3, "outdoors": 3}, {}),
        ]),
        ("Do you wear make-up?", "single", "wears_makeup", {}, [
            ("Yes, a tint would be nice", "yes", {"tinted": 3}, {}),
            ("No", "no", {"tinted": -2, "light": 1}, {}),
        ]),
        ("How does your skin feel by midday?", "single", "", {}, [
            ("Shiny", "", {"light": 2, "oily-skin": 2}, {}),
            ("Tight", "", {"dry-skin": 2, "gentle": 1}, {}),
            ("Comfortable", "", {"sunscreen": 1}, {}),
        ]),
        ("When's your birthday? We'll send a treat.", "birthday", "", {"required": False}, []),
    ],
)


# The quizzes' texts in the shop's other languages, as the shop's own staff would write them
# (locale/<lang>/GLOSSARY.md): English text -> {language: text}. A label that means different
# things in two questions ("Dry" skin, a dry climate) is keyed "question|label".
TRANSLATIONS: dict[str, dict[str, str]] = {
    # Find your skincare routine
    "Find your skincare routine": {
        "tr": "Cilt bakım rutininizi bulun", "fa": "روتین مراقبت از پوستتان را پیدا کنید",
        "zh-hant": "找出最適合您的保養步驟"},
    "Five quick questions about your skin and where you live; we'll suggest the products "
    "that fit.": {
        "tr": "Cildiniz ve yaşadığınız yer hakkında beş kısa soru; size uygun ürünleri biz "
              "önerelim.",
        "fa": "پنج سؤال کوتاه دربارهٔ پوستتان و جایی که زندگی می‌کنید؛ ما محصولات مناسب "
              "شما را پیشنهاد می‌دهیم.",
        "zh-hant": "回答五個關於膚質與居住環境的小問題，我們為您推薦合適的產品。"},
    "Your routine": {"tr": "Size özel rutininiz", "fa": "روتین شما", "zh-hant": "您的保養步驟"},
    "Picked for what you told us. Start with one product and add the next after two weeks.": {
        "tr": "Cevaplarınıza göre seçtik. Tek bir ürünle başlayın, iki hafta sonra bir "
              "sonrakini ekleyin.",
        "fa": "بر اساس پاسخ‌هایتان انتخاب شده‌اند. با یک محصول شروع کنید و دو هفته بعد "
              "محصول بعدی را اضافه کنید.",
        "zh-hant": "依照您的回答挑選。先從一項產品開始，兩週後再加入下一項。"},
    "What's your skin type?": {
        "tr": "Cilt tipiniz nedir?", "fa": "نوع پوست شما چیست؟", "zh-hant": "您的膚質是？"},
    "What's your skin type?|Dry": {"tr": "Kuru", "fa": "خشک", "zh-hant": "乾性肌"},
    "Oily": {"tr": "Yağlı", "fa": "چرب", "zh-hant": "油性肌"},
    "Combination": {"tr": "Karma", "fa": "مختلط", "zh-hant": "混合性肌"},
    # Turkish shops write "Normal" too.
    "Normal": {"tr": "Normal", "fa": "معمولی", "zh-hant": "中性肌"},
    "Sensitive": {"tr": "Hassas", "fa": "حساس", "zh-hant": "敏感性肌"},
    "Does fragrance irritate your skin?": {
        "tr": "Parfüm cildinizi tahriş ediyor mu?", "fa": "آیا عطر پوستتان را اذیت می‌کند؟",
        "zh-hant": "香料會刺激您的肌膚嗎？"},
    "Yes: fragrance-free only": {
        "tr": "Evet, yalnızca parfümsüz ürünler", "fa": "بله، فقط محصولات بدون عطر",
        "zh-hant": "會，只要無香料的產品"},
    "No, it's fine": {"tr": "Hayır, sorun değil", "fa": "نه، مشکلی ندارم",
                      "zh-hant": "不會，沒問題"},
    "What's the climate where you live?": {
        "tr": "Yaşadığınız yerin iklimi nasıl?",
        "fa": "آب‌وهوای جایی که زندگی می‌کنید چطور است؟", "zh-hant": "您居住的地方氣候如何？"},
    "Humid": {"tr": "Nemli", "fa": "مرطوب", "zh-hant": "潮濕"},
    "What's the climate where you live?|Dry": {"tr": "Kuru", "fa": "خشک", "zh-hant": "乾燥"},
    "Temperate": {"tr": "Ilıman", "fa": "معتدل", "zh-hant": "溫和"},
    "Cold": {"tr": "Soğuk", "fa": "سرد", "zh-hant": "寒冷"},
    "What would you like to work on?": {
        "tr": "Hangi konuda destek istersiniz?",
        "fa": "دوست دارید روی کدام مشکل پوستتان کار کنید؟", "zh-hant": "您想改善哪些肌膚問題？"},
    "Breakouts": {"tr": "Sivilceler", "fa": "جوش", "zh-hant": "痘痘"},
    "Dullness": {"tr": "Donukluk", "fa": "کدری پوست", "zh-hant": "暗沉"},
    "Fine lines": {"tr": "İnce çizgiler", "fa": "خطوط ریز", "zh-hant": "細紋"},
    "Dehydration": {"tr": "Nem kaybı", "fa": "کم‌آبی پوست", "zh-hant": "缺水"},
    "Tired eyes": {"tr": "Yorgun göz çevresi", "fa": "چشم‌های خسته", "zh-hant": "眼周疲憊"},
    "How often do you break out? (1 never, 5 very often)": {
        "tr": "Ne sıklıkla sivilce çıkarıyorsunuz? (1 hiç, 5 çok sık)",
        "fa": "هر چند وقت یک بار جوش می‌زنید؟ (۱ هرگز، ۵ خیلی زیاد)",
        "zh-hant": "您多常長痘痘？（1 幾乎不會，5 非常頻繁）"},
    "Where should we send your routine?": {
        "tr": "Rutininizi hangi e-posta adresine gönderelim?",
        "fa": "روتینتان را به چه ایمیلی بفرستیم؟", "zh-hant": "要將保養建議寄到哪個信箱？"},
    # Which sunscreen is yours?
    "Which sunscreen is yours?": {
        "tr": "Size hangi güneş kremi uygun?", "fa": "کدام ضدآفتاب مناسب شماست؟",
        "zh-hant": "哪一款防曬最適合您？"},
    "Three questions to find the daily sunscreen you'll actually wear.": {
        "tr": "Her gün gerçekten süreceğiniz güneş kremini bulmak için üç soru.",
        "fa": "سه سؤال برای پیدا کردن ضدآفتابی که واقعاً هر روز می‌زنید.",
        "zh-hant": "三個問題，找到您真的會天天擦的防曬。"},
    "Your sunscreen": {"tr": "Size uygun güneş kremi", "fa": "ضدآفتاب شما",
                       "zh-hant": "您的防曬"},
    "Apply it every morning, even on cloudy days.": {
        "tr": "Her sabah sürün, bulutlu günlerde bile.",
        "fa": "هر روز صبح بزنید، حتی در روزهای ابری.", "zh-hant": "每天早上都要擦，陰天也不例外。"},
    "How much of the day are you outdoors?": {
        "tr": "Gününüzün ne kadarını dışarıda geçiriyorsunuz?",
        "fa": "چه مقدار از روز را بیرون می‌گذرانید؟", "zh-hant": "您一天有多少時間待在戶外？"},
    "Mostly indoors": {"tr": "Çoğunlukla kapalı alanda", "fa": "بیشتر در فضای بسته",
                       "zh-hant": "大多在室內"},
    "A few hours": {"tr": "Birkaç saat", "fa": "چند ساعت", "zh-hant": "幾個小時"},
    "All day": {"tr": "Bütün gün", "fa": "تمام روز", "zh-hant": "一整天"},
    "Do you wear make-up?": {"tr": "Makyaj yapıyor musunuz?",
                             "fa": "آرایش می‌کنید؟", "zh-hant": "您平常會上妝嗎？"},
    "Yes, a tint would be nice": {"tr": "Evet, renkli olsa iyi olur",
                                  "fa": "بله، رنگی باشد بهتر است",
                                  "zh-hant": "會，帶點潤色更好"},
    "No": {"tr": "Hayır", "fa": "نه", "zh-hant": "不會"},
    "How does your skin feel by midday?": {
        "tr": "Öğleye doğru cildiniz nasıl oluyor?", "fa": "تا ظهر پوستتان چه حالی دارد؟",
        "zh-hant": "到了中午，您的肌膚感覺如何？"},
    "Shiny": {"tr": "Parlak", "fa": "چرب و براق", "zh-hant": "油亮"},
    "Tight": {"tr": "Gergin", "fa": "خشک و کشیده", "zh-hant": "緊繃"},
    "Comfortable": {"tr": "Rahat", "fa": "راحت", "zh-hant": "舒適"},
    "When's your birthday? We'll send a treat.": {
        "tr": "Doğum gününüz ne zaman? Size küçük bir hediye gönderelim.",
        "fa": "تولدتان چه روزی است؟ برایتان هدیه‌ای می‌فرستیم.",
        "zh-hant": "您的生日是哪一天？我們會送上一份小禮物。"},
}


def quiz_texts(field: str, english: str, *, context: str = "") -> dict[str, str]:
    """A text's columns in every offered language (`title_en`, `title_tr`, ...), written
    explicitly whatever language is active; a text without translation has only English."""
    translated = TRANSLATIONS.get(f"{context}|{english}") or TRANSLATIONS.get(english, {})
    columns = {build_localized_fieldname(field, code): translated.get(code, "")
               for code, _name in settings.LANGUAGES}
    columns[build_localized_fieldname(field, "en")] = english
    return columns


def _colour(text: str, lightness: float = 0.78) -> tuple[int, int, int]:
    hue = int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.45)
    return int(r * 255), int(g * 255), int(b * 255)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def product_image(sku: str) -> bytes:
    """A flat drawing of a bottle in the product's own colour: the same bytes every run."""
    image = Image.new("RGB", (480, 480), _colour(sku, 0.9))
    draw = ImageDraw.Draw(image)
    body = _colour(sku, 0.6)
    draw.rounded_rectangle((170, 150, 310, 420), radius=28, fill=body)
    draw.rectangle((205, 90, 275, 150), fill=_colour(sku, 0.35))
    draw.rectangle((185, 250, 295, 330), fill=(255, 255, 255))
    draw.text((200, 280), sku.split("-")[0], fill=(40, 40, 40))
    return _png(image)


def choice_image(label: str) -> bytes:
    """A round swatch for a choice."""
    image = Image.new("RGB", (240, 240), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 30, 210, 210), fill=_colour(label, 0.7))
    draw.ellipse((80, 70, 130, 120), fill=_colour(label, 0.88))
    return _png(image)


class Command(BaseCommand):
    help = _("Add the demo catalog (tags and images), two published quizzes (one branching) "
             "and their responses. Running it again adds nothing.")

    def handle(self, *args, **options):
        created_products = self.catalog()
        quizzes = [self.quiz(SKIN_QUIZ, with_images=True), self.quiz(SUN_QUIZ)]
        responses = 0
        for index, quiz in enumerate(quizzes):
            responses += self.history(quiz, random.Random(SEED + index),
                                      count=48 if index == 0 else 24)
        self.stdout.write(_("Quizzes: %(products)d products added, %(quizzes)s published, "
                            "%(responses)d demo responses added.")
                          % {"products": created_products,
                             "quizzes": ", ".join(q.slug for q in quizzes),
                             "responses": responses})

    def catalog(self) -> int:
        created = 0
        for sku, name, price in PRODUCTS:
            _product, outcome = catalogue_services.product_upsert(
                sku=sku, name=name, url=f"{SHOP_URL}{sku.lower()}", price=Decimal(price),
                currency="EUR", tags=TAGS.get(sku, []), consumable=sku in CONSUMABLE,
                image=ContentFile(product_image(sku), name=f"{sku.lower()}.png"),
            )
            created += outcome == catalogue_services.Outcome.CREATED
        return created

    def quiz(self, spec, *, with_images: bool = False) -> Quiz:
        """The quiz as staff would build it in admin; one built earlier (and maybe edited
        since) is left as it is, and published only if it never was."""
        slug, title, intro, heading, text, questions = spec
        with transaction.atomic():
            quiz = Quiz.objects.filter(slug=slug).first()
            if quiz is None:
                quiz = Quiz.objects.create(
                    slug=slug, recommend_count=3, **quiz_texts("title", title),
                    **quiz_texts("intro", intro), **quiz_texts("results_heading", heading),
                    **quiz_texts("results_text", text))
                self.questions(quiz, questions, with_images=with_images)
            elif self.translate(quiz):
                services.quiz_publish(quiz=quiz)  # the translations, for an older demo
            if not quiz.versions.exists():
                services.quiz_publish(quiz=quiz)
        return quiz

    def translate(self, quiz: Quiz) -> bool:
        """Fill the translations a demo quiz built before quizzes were translated lacks: only
        blank ones of texts that are still the demo's English (staff edits are kept). Whether
        any was filled; nothing is on a second run."""
        filled = False
        rows = [(quiz, ("title", "intro", "results_heading", "results_text"), "")]
        for question in quiz.questions.all():
            rows.append((question, ("text",), ""))
            rows += [(choice, ("label",), question.text_en) for choice in question.choices.all()]
        for row, fields, context in rows:
            changed = []
            for field in fields:
                english = getattr(row, build_localized_fieldname(field, "en")) or ""
                for column, text in quiz_texts(field, english, context=context).items():
                    if text and not getattr(row, column):
                        setattr(row, column, text)
                        changed.append(column)
            if changed:
                row.save(update_fields=changed)
                filled = True
        return filled

    def questions(self, quiz: Quiz, questions, *, with_images: bool) -> None:
        made = []
        for position, (text, kind, attribute, extra, _choices) in enumerate(questions, 1):
            made.append(Question.objects.create(
                quiz=quiz, position=position * 10, **quiz_texts("text", text), kind=kind,
                attribute=attribute,
                required=extra.get("required", True), max_choices=extra.get("max_choices")))
        for question, (text, *_head, choices) in zip(made, questions, strict=True):
            for position, (label, value, weights, extra) in enumerate(choices, 1):
                branch = extra.get("branch")
                choice = Choice(
                    question=question, position=position,
                    **quiz_texts("label", label, context=text), value=value,
                    excluded_tags=extra.get("excluded_tags", []),
                    next=Choice.Next.QUESTION if branch is not None else Choice.Next.FOLLOW,
                    next_question=made[branch] if branch is not None else None,
                )
                if with_images:
                    name = f"{quiz.slug}-{question.position}-{position}.png"
                    choice.image.save(name, ContentFile(choice_image(label)), save=False)
                choice.save()
                ChoiceWeight.objects.bulk_create(
                    ChoiceWeight(choice=choice, tag=tag, weight=weight)
                    for tag, weight in weights.items())

    def history(self, quiz: Quiz, rng: random.Random, *, count: int) -> int:
        """Demo shoppers over the last 60 days: most finish, some stop on the way; a third of
        the finishers are demo customers, and half of those bought a product the quiz
        recommended within the following weeks (their history is dated to match their
        orders). Added once: a quiz with responses is left alone."""
        version = quiz.versions.order_by("-number").first()
        if QuizResponse.objects.filter(version__quiz=quiz).exists():
            return 0
        definition = quiz_definition(version)
        now = timezone.now().replace(microsecond=0)
        customers = list(customer_selectors.customer_list().filter(orders_count__gt=0)
                         .order_by("email"))
        rng.shuffle(customers)
        with transaction.atomic():
            for day in range(60):
                for _view in range(rng.randint(1, 4)):
                    response_services.quiz_view_count(
                        quiz=quiz, day=(now - dt.timedelta(days=day)).date())
            for number in range(count):
                response = response_services.quiz_response_start(version=version)
                stop_after = rng.choice([0, 1, 2, 3, None, None, None, None, None])
                answered = 0
                key = response.current_question
                while key and (stop_after is None or answered < stop_after):
                    question = definition.question(key)
                    response = response_services.quiz_response_answer(
                        response=response, question_key=key, raw=self.answer(question, rng))
                    answered += 1
                    key = response.current_question
                started = now - dt.timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
                dates = {"started_at": started}
                if response.status == QuizResponse.Status.COMPLETED:
                    dates["completed_at"] = started + dt.timedelta(minutes=rng.randint(1, 5))
                    if number % 3 == 0 and customers:
                        dates.update(self.follow(response, customers.pop(), rng,
                                                 hit=number % 2 == 0))
                QuizResponse.objects.filter(pk=response.pk).update(**dates)
        return count

    def answer(self, question, rng: random.Random):
        if question.has_choices:
            keys = [choice.key for choice in question.choices]
            if question.kind == "multiple":
                return rng.sample(keys, k=rng.randint(1, question.max_choices or 2))
            return rng.choice(keys)
        if question.kind == "scale":
            return rng.randint(1, 5)
        return ""  # the demo shoppers skip the optional email and birthday questions

    def follow(self, response: QuizResponse, customer: Customer, rng: random.Random, *,
               hit: bool) -> dict:
        """Make a finished response one a demo customer gave: dated a few days before an order
        of theirs with a recommended product (a hit), or after their last order (no hit)."""
        lines = customer_selectors.order_lines_bought(
            customer_ids=[customer.pk], skus=response.recommended_skus,
            since=timezone.now() - dt.timedelta(days=540))
        if hit and lines:
            completed = lines[-1]["placed_at"] - dt.timedelta(days=rng.randint(1, 20))
        else:
            completed = timezone.now() - dt.timedelta(days=rng.randint(1, 5))
        return {"customer": customer, "started_at": completed - dt.timedelta(minutes=3),
                "completed_at": completed}
