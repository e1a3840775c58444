/// A leaderboard period: an ISO week (Monday 00:00 UTC to the next Monday) or a calendar month
/// (UTC). Days are counted from 1970-01-01 (civil-calendar arithmetic, no time zones involved).
public struct Period: Sendable, Equatable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case week, month
    }

    public var kind: Kind
    /// The first day, as days since 1970-01-01.
    public var startDay: Int

    public init(kind: Kind, startDay: Int) {
        self.kind = kind
        self.startDay = startDay
    }

    /// The period holding this instant (Unix seconds).
    public static func containing(_ kind: Kind, time: Int) -> Period {
        let day = Int((Double(time) / 86_400).rounded(.down))
        switch kind {
        case .week: return Period(kind: .week, startDay: day - (isoWeekday(day) - 1))
        case .month:
            let date = civil(day)
            return Period(kind: .month, startDay: days(year: date.year, month: date.month, day: 1))
        }
    }

    /// The first day after the period.
    public var endDay: Int {
        switch kind {
        case .week: return startDay + 7
        case .month:
            let date = Self.civil(startDay)
            return date.month == 12
                ? Self.days(year: date.year + 1, month: 1, day: 1) : Self.days(year: date.year, month: date.month + 1, day: 1)
        }
    }

    public var next: Period { Period(kind: kind, startDay: endDay) }

    public var previous: Period {
        switch kind {
        case .week: return Period(kind: .week, startDay: startDay - 7)
        case .month: return Period.containing(.month, time: (startDay - 1) * 86_400)
        }
    }

    /// `2026-W48` or `2026-11`.
    public var label: String {
        switch kind {
        case .week:
            // The ISO year is the year of the week's Thursday.
            let thursday = startDay + 3
            let year = Self.civil(thursday).year
            let week = (thursday - Self.days(year: year, month: 1, day: 1)) / 7 + 1
            return "\(year)-W\(week < 10 ? "0" : "")\(week)"
        case .month:
            let date = Self.civil(startDay)
            return "\(date.year)-\(date.month < 10 ? "0" : "")\(date.month)"
        }
    }

    /// Parses `YYYY-Www` (weeks) or `YYYY-MM` (months); nil when malformed or not a real week.
    public static func parse(_ kind: Kind, _ text: String) -> Period? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let year = number(0..<4), year >= 1971, year <= 9998, bytes.count > 4, bytes[4] == UInt8(ascii: "-") else { return nil }
        switch kind {
        case .week:
            guard bytes.count == 8, bytes[5] == UInt8(ascii: "W"), let week = number(6..<8), (1...53).contains(week) else { return nil }
            let january4 = days(year: year, month: 1, day: 4)
            let period = Period(kind: .week, startDay: january4 - (isoWeekday(january4) - 1) + (week - 1) * 7)
            return period.label == text ? period : nil  // week 53 exists only in some years
        case .month:
            guard bytes.count == 7, let month = number(5..<7), (1...12).contains(month) else { return nil }
            return Period(kind: .month, startDay: days(year: year, month: month, day: 1))
        }
    }

    /// `2026-11-23`: the first day as PostgreSQL reads a date.
    public var startDate: String { Self.dateText(startDay) }
    /// The first instant, `2026-11-23T00:00:00Z`.
    public var startsAt: String { startDate + "T00:00:00Z" }
    /// The first instant after the period.
    public var endsAt: String { Self.dateText(endDay) + "T00:00:00Z" }

    /// Monday 1 ... Sunday 7; 1970-01-01 was a Thursday.
    static func isoWeekday(_ day: Int) -> Int { ((day + 3) % 7 + 7) % 7 + 1 }

    static func dateText(_ day: Int) -> String {
        let date = civil(day)
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date.year)-\(pad(date.month))-\(pad(date.day))"
    }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day number.
    public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// The global board's course id (a board is one period and one course, or all of them).
public let globalBoard = "00000000-0000-0000-0000-000000000000"
