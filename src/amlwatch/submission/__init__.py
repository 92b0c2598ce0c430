"""Regulator submissions (CAMLMAC data submission interface spec v1.0, 2017): the XML
messages, their validator, file names, ZIP packages, filing and receipts."""
