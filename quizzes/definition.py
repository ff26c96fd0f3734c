"""The shape of a published quiz (`QuizVersion.definition`): plain JSON, frozen at publishing.

The admin side builds it from the draft models (Quiz, Question, Choice) when staff publish; the
shopper side (pages, API, engine) reads only this, so a response always means what the version
it answered meant.

    {
      "slug": "skin-routine", "title": "...", "intro": "...", "cover_image": "quizzes/covers/x.jpg",
      "results_heading": "...", "results_text": "...", "recommend_count": 3,
      "first_question": "q1",                      # key of the first question
      "questions": [                               # in position order
        {
          "key": "q1",                             # stable within the version ("q" + question pk)
          "text": "What's your skin type?", "help_text": "",
          "kind": "single",              # single, multiple, scale, text, email or birthday
          "required": true,
          "attribute": "skin_type",                # profile attribute it writes, or ""
          "max_choices": null,                     # multiple choice: most choices allowed, or null
          "next": "q2",                            # where every answer goes unless a choice says
                                                   # otherwise: a question key, or null for the end
          "choices": [                             # single / multiple only; [] for other kinds
            {
              "key": "c7",                         # "c" + choice pk
              "label": "Oily", "value": "oily", "image": "quizzes/choices/oily.png",
              "tag_weights": {"oily-skin": 3, "rich": -2},
              "product_weights": {"SKU-123": 5},
              "excluded_tags": ["fragrance"],      # products with these tags are removed
              "required_tags": [],                 # products lacking these tags are removed
              "next": "q3"                         # optional branch: a question key, "end", or
                                                   # absent/null to follow the question's "next"
            }
          ]
        }
      ]
    }

Scale questions take an integer answer 1-5; text, email and birthday questions take a string
(email capture comes with an unticked marketing-consent checkbox; birthday is YYYY-MM-DD).
Image paths are storage names under MEDIA_ROOT ("" when none).
"""
