"""The product catalog that quizzes recommend from."""
