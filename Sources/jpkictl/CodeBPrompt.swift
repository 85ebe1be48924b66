import ArgumentParser
import FoundationEssentials
import JPKIStaff
import JapaneseCalendar

/// Asks for 照合番号B's three printed parts: the birth date as a date (jpkid writes its Japanese era
/// year), the card's expiry year and the security code (read like a PIN: no echo). Checks each
/// part locally, so a code that could never be right spends no try; jpkid checks them again.
enum CodeBPrompt {
    struct Parts {
        var birthDate: String
        var expiryYear: Int
        var securityCode: String
    }

    static func read(_ d: Diagnosis, _ target: String) throws -> Parts {
        let ja = d.language == .japanese
        let birth = try readLineOrFail(
            ja
                ? "生年月日（西暦 YYYY-MM-DD。和暦への変換はjpkidが行います）(\(target)): "
                : "birth date (YYYY-MM-DD, Western calendar; jpkid writes the era year) (\(target)): ")
        guard let date = JapanDate(iso: birth) else {
            throw badInput(
                ja
                    ? "生年月日は YYYY-MM-DD の日付で入力してください。何も送信していません。"
                    : "the birth date must be a date YYYY-MM-DD; nothing was sent")
        }
        guard date <= JapanDate.today, let era = JapaneseEraDate(date), era.yymmdd != nil else {
            throw badInput(
                ja
                    ? "この生年月日は使えません（未来の日付、または明治より前）。何も送信していません。"
                    : "this birth date cannot be on a card (in the future, or before Meiji); nothing was sent")
        }
        let yearText = try readLineOrFail(ja ? "カードの有効期限の年（西暦4桁）: " : "the card's expiry year (YYYY): ")
        guard yearText.utf8.count == 4, yearText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let year = Int(yearText)
        else {
            throw badInput(
                ja ? "有効期限の年は西暦4桁で入力してください。何も送信していません。" : "the expiry year must be 4 digits; nothing was sent")
        }
        let code = try readPIN(
            prompt: ja ? "セキュリティコード（券面の数字4桁）: " : "security code (the 4 digits printed on the card): ")
        guard code.utf8.count == 4, code.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw badInput(ja ? "セキュリティコードは数字4桁です。何も送信していません。" : "the security code is 4 digits; nothing was sent")
        }
        return Parts(birthDate: date.description, expiryYear: year, securityCode: code)
    }

    private static func readLineOrFail(_ prompt: String) throws -> String {
        StandardStream.standardError.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true) else {
            throw badInput("no answer on standard input")
        }
        return (line.hasSuffix("\r") ? String(line.dropLast()) : line).trimmingSpaces
    }

    private static func badInput(_ message: String) -> ExitCode {
        printError(message)
        return Exit.badInput.code
    }
}
