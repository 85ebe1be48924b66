// The language and terminal escaping live in ConsoleText, a leaf that jpki-verify links without
// the staff page; every user of JPKIStaff sees them as before.
@_exported import ConsoleText
