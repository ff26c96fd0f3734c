"""Turning what a shop platform sends into one normalised order or customer event.

Each platform has a parser module (generic, shopify, woocommerce) that reads a payload and
returns the plain dataclasses in `events`, or raises InvalidEvent saying what is wrong.
Nothing here touches the database.
"""
