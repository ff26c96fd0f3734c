from django.urls import path

from quizzes import views

urlpatterns = [
    path("quizzes/<slug:slug>/", views.quiz_intro, name="quiz"),
    path("quizzes/<slug:slug>/start/", views.quiz_start, name="quiz_start"),
    path("quizzes/<slug:slug>/q/<str:key>/", views.quiz_question, name="quiz_question"),
    path("quizzes/<slug:slug>/results/", views.quiz_results, name="quiz_results"),
    path("quizzes/<slug:slug>/preview/", views.quiz_preview, name="quiz_preview"),
    path("quizzes/<slug:slug>/preview/start/", views.quiz_preview_start,
         name="quiz_preview_start"),
    path("quizzes/<slug:slug>/preview/q/<str:key>/", views.quiz_preview_question,
         name="quiz_preview_question"),
    path("quizzes/<slug:slug>/preview/results/", views.quiz_preview_results,
         name="quiz_preview_results"),
]
