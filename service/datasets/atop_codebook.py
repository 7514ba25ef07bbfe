"""ATOP 5.1's codebook as the importer reads it (service/datasets/atop.py): each coded variable and the
ontology's class or individual it becomes. The reasons for each choice: docs/atop-mapping.md."""
from __future__ import annotations

from dataclasses import dataclass

from service.datasets.states import AKG

# Obligations: (member-level variable, key, class(es), condition variables -> condition individual).
CONDITIONS = {"coadv": "SpecificAdversaryCondition", "coloc": "LocationCondition", "cocon": "OngoingConflictCondition",
              "conum": "NumberOfAdversariesCondition", "codem": "DemandsCondition", "conpr": "NonProvocationCondition",
              "coatt": "AttackOnAllyCondition", "coreq": "RequestCondition"}


@dataclass(frozen=True)
class ObligationKind:
    variable: str          # ATOP member-level dummy
    key: str               # IRI key suffix
    cls: str               # akg class
    prefix: str            # condition variable prefix (def, off, neu, con); "" when ATOP codes none
    scope_condition: bool  # a scope condition in the paper's sense (see docs/atop-mapping.md)
    label: str


OBLIGATIONS = (
    ObligationKind("defense", "defence", "DefenceObligation", "def", True, "defence obligation"),
    ObligationKind("offense", "offence", "OffenceObligation", "off", True, "offence obligation"),
    ObligationKind("neutral", "neutrality", "NeutralityObligation", "neu", False, "neutrality obligation"),
    ObligationKind("nonagg", "non-aggression", "NonAggressionObligation", "", False, "non-aggression obligation"),
    ObligationKind("consul", "consultation", "ConsultationObligation", "con", False, "consultation obligation"),
)
PACT_CLASSES = {"neutral": AKG.NeutralityPact, "nonagg": AKG.NonAggressionPact, "consul": AKG.ConsultationPact}

TERM = {"1": "EndedByFulfilment", "2": "EndedByViolation", "3": "EndedByRenegotiation"}
TERMMODE = {"1": "NotRenewed", "2": "ReplacedByNewAgreement", "3": "BrokenBeforeTerm", "4": "LostIndependence",
            "5": "CasusFoederisCeased", "6": "LostWar"}
TERMCAUS = {"1": "CauseReplaced", "2": "CauseLostIndependence", "3": "CauseProblemResolved", "4": "CausePolicyDispute",
            "5": "CauseAllianceManagementDispute", "6": "CauseConflictAmongMembers", "7": "CauseWar",
            "8": "CauseViolationShortOfWar"}
PROVISIONS = {  # agreement-level variable -> (property, {code: individual})
    "milcon": ("militaryContact", {"1": "ContactInWartime", "2": "ContactInPeacetime", "3": "CommonDefencePolicy"}),
    "milaid": ("militaryAid", {"1": "GeneralMilitaryAid", "2": "MilitaryGrantsOrLoans",
                               "3": "MilitaryTrainingOrTechnology", "4": "MilitaryGrantsAndTraining"}),
    "subord": ("subordination", {"1": "SubordinationToNamedState", "2": "ConditionalSubordination"}),
    "organ1": ("createsOrganisation", {"1": "RegularMeetings", "2": "NamedOrganisation", "3": "PermanentBureaucracy"}),
    "organ2": ("createsOrganisation", {"1": "RegularMeetings", "2": "NamedOrganisation", "3": "PermanentBureaucracy"}),
    "base": ("basing", {"1": "JointPlacementOnNeutralTerritory", "2": "ReciprocalBasing", "3": "NonReciprocalBasing"}),
    "pubsecr": ("secrecy", {"1": "SecretArticles", "2": "EntirelySecret"}),
    "specthrt": ("specificThreat", {"1": "ThreatFromStates", "2": "ThreatInRegion", "3": "ThreatFromStatesInRegion",
                                    "4": "ThreatOfOngoingConflict", "5": "ThreatFromNonStateActors",
                                    "6": "ThreatFromOtherAlliance"}),
}
BOOLEANS = {"estmode": "requiresRatification", "intcom": "providesIntegratedCommand", "contrib": "specifiesContributions"}
