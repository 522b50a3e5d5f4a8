"""Bring a live database to the document: plan the steps, run them online."""
