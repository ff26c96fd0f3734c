"""Shoppers taking quizzes: responses, their answers and results."""
