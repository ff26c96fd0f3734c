from django.urls import path

from quizzes import apis

urlpatterns = [
    path("quizzes/", apis.QuizListApi.as_view(), name="api-quizzes"),
    path("quizzes/<slug:slug>/", apis.QuizDetailApi.as_view(), name="api-quiz"),
    path("quizzes/<slug:slug>/responses/", apis.QuizResponseCreateApi.as_view(),
         name="api-quiz-responses"),
]
