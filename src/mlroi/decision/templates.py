"""Ready-made value models for the three common decisions: churn, fraud and targeting.

A template writes the per-row value of acting, of leaving alone, and the business metrics summed
over the rows acted on, as expressions over a few conventional names. ``label`` always means the
case's label column; every other name is a column of the scored table or a parameter of the case
(``decision.parameters``), and ``decision.columns`` renames a name to the table's own column
(``{clv: customer_value}``). Values are relative to leaving everyone alone (``leave = 0``), so the
curve's ``value`` is the incremental value of the decision.

churn (Verbraken, Verbeke & Baesens 2013, the expected-maximum-profit formulation)
    A contacted churner accepts the offer and stays with probability ``g`` (default
    ``Beta(6, 14)``, mean 0.3), which is worth ``clv - discount - contact``; one who refuses costs
    the contact. A contacted non-churner takes the discount with probability ``stayers_accept``
    (1 in the paper): ``-(stayers_accept x discount + contact)``. ``clv`` and ``discount`` are
    money the case must give (a column or a parameter); ``contact`` defaults to 1 (the paper's).
    Metrics:
    ``value_retained`` (CLV of churners kept), ``discounts_given`` (to every customer who
    accepts) and ``discounts_to_stayers`` (to customers who would have stayed anyway).

fraud
    Blocking a fraudulent transaction saves ``recovery`` (default 1) times its ``amount``;
    blocking a legitimate one costs a ``friction`` (customer-service contact, money the case must
    give) plus the ``lost_margin`` share (default 0.3) of its ``amount`` as the sale is lost.
    Metrics:
    ``fraud_prevented`` (amount of fraud blocked), ``legit_amount_blocked``.

targeting
    Contacting (or recommending to) a row costs ``contact``; a positive responds and brings
    ``margin`` (default 1) times its ``value`` (order value, a column). Assumes no response
    without the contact; with a randomized treatment flag, the uplift analysis measures that.
    Metrics: ``revenue`` (value of the responders reached), ``contact_cost``.

Every name has a unit and a meaning (:attr:`Template.names`); a name with no default, such as a
money value, must come from the case: a column of the table (renamed with ``columns:``) or a
parameter, or the analysis stops and names it.

With a randomized treatment flag, the uplift analysis values each favourable outcome gained at
``clv - (1 - stayers_accept) x discount`` (churn) or ``margin x value`` (targeting) and charges
each treated row ``contact``, plus, for churn, ``stayers_accept x discount`` when the customer
stays. So a customer who stays only because of the offer costs the whole discount, one who would
have stayed anyway costs ``stayers_accept`` of it, and one who leaves anyway costs only the
contact: only customers who stay redeem a discount.

References:
    Verbraken, T., Verbeke, W., Baesens, B. (2013). A novel profit maximizing metric for
    measuring classification performance of customer churn prediction models. IEEE TKDE 25(5),
    961-973.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

from mlroi.spec.quantity import Beta, Quantity

TemplateName: TypeAlias = Literal["churn", "fraud", "targeting"]
NameUnit: TypeAlias = Literal["money", "share", "probability"]


@dataclass(frozen=True)
class Template:
    """A value model written over conventional names.

    Attributes:
        act: per-row value of acting.
        leave: per-row value of leaving the row alone.
        metrics: business metrics, per-row amounts summed over the rows acted on.
        defaults: parameter values used when the case gives none and the table has no column of
            that name.
        positive: what a label of 1 means, for sentences ("churner", "fraud").
        favourable: the label value a treatment aims for (0 for churn: the customer stays).
        uplift_value: value of one favourable outcome gained, for the uplift analysis.
        uplift_cost: cost of treating one row, for the uplift analysis.
        words: what a row is, what is gained, and what the favourable-anyway rows did.
        names: every name the template reads (``label`` aside): its unit (``money``, ``share``
            or ``probability``) and what it is, for errors and the assumptions a result lists.
    """

    act: str
    leave: str
    metrics: MappingProxyType[str, str]
    defaults: MappingProxyType[str, Quantity] = field(default_factory=lambda: MappingProxyType({}))
    positive: str = "positive"
    favourable: Literal[0, 1] = 1
    uplift_value: str | None = None
    uplift_cost: str | None = None
    words: tuple[str, str, str] = ("rows", "favourable outcomes", "would have had it anyway")
    names: MappingProxyType[str, tuple[NameUnit, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def required(self) -> tuple[str, ...]:
        """The names without a default: the case must give each (a column or a parameter)."""
        return tuple(n for n in self.names if n not in self.defaults)


TEMPLATES: MappingProxyType[str, Template] = MappingProxyType(
    {
        "churn": Template(
            act="g * (clv - discount - contact) - (1 - g) * contact if label == 1 "
            "else -(stayers_accept * discount + contact)",
            leave="0",
            metrics=MappingProxyType(
                {
                    "value_retained": "g * clv if label == 1 else 0",
                    "discounts_given": "g * discount if label == 1 else stayers_accept * discount",
                    "discounts_to_stayers": "stayers_accept * discount if label == 0 else 0",
                }
            ),
            defaults=MappingProxyType(
                {
                    "g": Beta(beta=(6.0, 14.0)),
                    "contact": 1.0,
                    "stayers_accept": 1.0,
                }
            ),
            names=MappingProxyType(
                {
                    "clv": ("money", "value a saved churner brings"),
                    "discount": ("money", "cost of the offer to a customer who takes it"),
                    "contact": ("money", "cost of contacting one customer"),
                    "g": ("probability", "share of contacted churners who accept and stay"),
                    "stayers_accept": (
                        "probability",
                        "share of contacted non-churners who take the discount",
                    ),
                }
            ),
            positive="churner",
            favourable=0,
            uplift_value="clv - (1 - stayers_accept) * discount",
            uplift_cost="contact + (stayers_accept * discount if label == 0 else 0)",
            words=("customers", "customers retained", "would have stayed anyway"),
        ),
        "fraud": Template(
            act="recovery * amount if label == 1 else -(friction + lost_margin * amount)",
            leave="0",
            metrics=MappingProxyType(
                {
                    "fraud_prevented": "amount if label == 1 else 0",
                    "legit_amount_blocked": "amount if label == 0 else 0",
                }
            ),
            defaults=MappingProxyType({"recovery": 1.0, "lost_margin": 0.3}),
            positive="fraud",
            names=MappingProxyType(
                {
                    "amount": ("money", "amount of a transaction"),
                    "recovery": ("share", "share of a blocked fraud's amount saved"),
                    "friction": ("money", "cost of blocking one legitimate customer"),
                    "lost_margin": ("share", "share of a blocked sale's amount lost"),
                }
            ),
        ),
        "targeting": Template(
            act="margin * value - contact if label == 1 else -contact",
            leave="0",
            metrics=MappingProxyType(
                {"revenue": "value if label == 1 else 0", "contact_cost": "contact"}
            ),
            defaults=MappingProxyType({"margin": 1.0, "contact": 1.0}),
            positive="responder",
            names=MappingProxyType(
                {
                    "value": ("money", "order value of a responder"),
                    "margin": ("share", "share of the order value kept as profit"),
                    "contact": ("money", "cost of contacting one customer"),
                }
            ),
            uplift_value="margin * value",
            uplift_cost="contact",
            words=("customers", "responses", "would have responded anyway"),
        ),
    }
)
