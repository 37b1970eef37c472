"""The only layer that joins the domain, the database and the bank gateway.

One room (subpackage) per concern, each saying in its `__init__` what it offers:
`transfers` (a member's transfers), `orders` (the pipeline transfers and repayments
share), `repayments`, `mail`, `members`, `staff`, `operations` (what operators and the
operations commands see), `applications` (becoming a member) and `credit_review` (the
ongoing review, 途上与信). Import the module you need from its room
(`from shunfuri.services.orders import pipeline`); the rooms' `__init__`s import nothing."""
