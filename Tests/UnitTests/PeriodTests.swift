import Achievements
import Testing

/// Leaderboard periods: ISO weeks from Monday 00:00 UTC, calendar months in UTC.
@Suite struct PeriodTests {
    func time(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Int {
        Period.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    @Test func sundayEveningAndMondayMidnightAreDifferentWeeks() {
        let sunday = Period.containing(.week, time: time(2026, 11, 29, 23, 59, 59))
        let monday = Period.containing(.week, time: time(2026, 11, 30))
        #expect(sunday.label == "2026-W48")
        #expect(sunday.startDate == "2026-11-23")
        #expect(monday.label == "2026-W49")
        #expect(monday.startDate == "2026-11-30")
        #expect(sunday.next == monday)
        #expect(monday.previous == sunday)
        #expect(sunday.endsAt == "2026-11-30T00:00:00Z")
    }

    @Test func decemberRollsIntoJanuary() {
        let december = Period.containing(.month, time: time(2026, 12, 31, 23, 59, 59))
        let january = Period.containing(.month, time: time(2027, 1, 1))
        #expect(december.label == "2026-12")
        #expect(january.label == "2027-01")
        #expect(december.next == january)
        #expect(january.previous == december)
        #expect(december.endsAt == "2027-01-01T00:00:00Z")
        #expect(Period.parse(.month, "2027-01") == january)
    }

    @Test func isoWeek53AndWeeksThatStraddleNewYear() {
        // 2026 has 53 ISO weeks: Monday 28 December 2026 to Sunday 3 January 2027.
        let week53 = Period.containing(.week, time: time(2027, 1, 3, 12))
        #expect(week53.label == "2026-W53")
        #expect(week53.startDate == "2026-12-28")
        #expect(Period.parse(.week, "2026-W53") == week53)
        #expect(week53.next.label == "2027-W01")
        #expect(Period.parse(.week, "2025-W53") == nil)  // 2025 has 52
        // 2024-12-30 (Monday) is in 2025-W01.
        #expect(Period.containing(.week, time: time(2024, 12, 31)).label == "2025-W01")
        #expect(Period.parse(.week, "2025-W01")?.startDate == "2024-12-30")
    }

    @Test func malformedLabelsAreRefused() {
        for text in ["", "2026", "2026-W", "2026-W0", "2026-W00", "2026-W54", "2026W48", "2026-w48", "26-W48", "2026-W4a"] {
            #expect(Period.parse(.week, text) == nil, "\(text)")
        }
        for text in ["", "2026-1", "2026-13", "2026-00", "2026/11", "2026-11-01", "x026-11"] {
            #expect(Period.parse(.month, text) == nil, "\(text)")
        }
        for label in ["2026-W01", "2026-W48", "2020-W53"] { #expect(Period.parse(.week, label)?.label == label) }
    }
}
