/// Step 1 of each AP's check: its CVC under the CA key its issuer id names (reference 13.1).
enum CVCStep {
    /// The CA each AP's CVC must name (reference 13.2–13.3), production and its JPKI-test
    /// counterpart: `5000023` the card face, `5000033` the card text; never `5000020`.
    static func expectedAuthorities(_ name: GenuineStep.Name) -> Set<String> {
        name == .cardTextCVC ? ["5000033", "6000033"] : ["5000023", "6000023"]
    }

    /// The step, and the key the CVC certifies (the AP key) whenever the CVC parses, so that the
    /// records can still be checked and reported when the CVC itself is not proven.
    static func check(
        _ ef: [UInt8]?, _ name: GenuineStep.Name, authorities: CVCAuthorities, unreadable: String? = nil
    ) -> (step: GenuineStep, certificate: CardVerifiableCertificate?) {
        guard let ef else {
            return (GenuineStep(name, .notChecked, unreadable ?? "EF 0004 could not be read"), nil)
        }
        let cvc: CardVerifiableCertificate
        do {
            cvc = try CardVerifiableCertificate.parse(ef)
        } catch {
            return (GenuineStep(name, .notChecked, "EF 0004 is not a CVC: \(error.message)"), nil)
        }
        switch authorities.lookup(cvc.issuer) {
        case .unknown:
            return (GenuineStep(name, .unknownIssuer, "issuer key \(cvc.issuer) is not known"), cvc)
        case .testHierarchyRefused:
            return (
                GenuineStep(
                    name, .unknownIssuer,
                    "issuer key \(cvc.issuer) belongs to the JPKI test hierarchy, not allowed here"),
                cvc
            )
        case .known(let entry):
            // A known key of another application (or the MF chain's 5000020) never certifies this
            // AP: its CVC is not proven for this application, so nothing under it is (a CVC
            // failure, key_mismatch: "does not verify under the key this AP's CVC must name").
            guard let authority = cvc.issuer.authority, expectedAuthorities(name).contains(authority) else {
                return (
                    GenuineStep(
                        name, .failed,
                        "issuer key \(cvc.issuer) does not certify this application's CVC (expected \(expectedAuthorities(name).sorted().joined(separator: " or ")))"
                    ),
                    cvc
                )
            }
            guard cvc.isSigned(by: entry.key) else {
                return (
                    GenuineStep(
                        name, .failed,
                        "the CVC does not verify under the \(entry.source) key \(cvc.issuer) that its issuer id names"),
                    cvc
                )
            }
            return (GenuineStep(name, .passed, "signed by \(entry.source) key \(cvc.issuer)"), cvc)
        }
    }
}
