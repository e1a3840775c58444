import Auth
import Core
import Database
import Runtime

/// Reports over the earnings ledger (no money moves here: payouts are outside the product).
/// `from` and `to` are UTC dates (`YYYY-MM-DD`, both included; default: the last 30 days);
/// `Accept: text/csv` (or `format=csv`) answers CSV.
enum EarningsReport {
    struct Range {
        var from: String
        var to: String
    }

    static func range(_ request: Request) throws -> Range {
        var errors: [FieldError] = []
        func date(_ name: String) -> String? {
            guard let value = request.queryValue(name) else { return nil }
            guard isTimestamp(value + "T00:00:00Z") else {
                errors.append(FieldError(field: name, message: "must be a date such as 2026-11-30"))
                return nil
            }
            return value
        }
        let from = date("from")
        let to = date("to")
        if !errors.isEmpty { throw APIError.invalid(errors) }
        if let from, let to, from > to { throw APIError.invalid(field: "to", "must not be before from") }
        return Range(from: from ?? "", to: to ?? "")
    }

    /// The ledger rows of the range (`l`), for SQL: `from` and `to` empty mean the default.
    static func window(_ range: Range) -> SQL {
        """
        l.occurred_at >= coalesce(nullif(\(range.from), '')::date, (now() AT TIME ZONE 'UTC')::date - 29)::timestamp AT TIME ZONE 'UTC'
        AND l.occurred_at < (coalesce(nullif(\(range.to), '')::date, (now() AT TIME ZONE 'UTC')::date) + 1)::timestamp AT TIME ZONE 'UTC'
        """
    }

    static let sums: SQL = """
        count(*) FILTER (WHERE l.entry = 'sale') AS sales, count(*) FILTER (WHERE l.entry = 'refund') AS refunds,
        sum(l.gross_minor) AS gross_minor, sum(l.tax_minor) AS tax_minor, sum(l.provider_fee_minor) AS provider_fee_minor,
        sum(l.platform_fee_minor) AS platform_fee_minor, sum(l.instructor_share_minor) AS instructor_share_minor
        """

    struct Amounts: Encodable, Sendable {
        var currency: String
        var sales: Int
        var refunds: Int
        var grossMinor: Int
        var taxMinor: Int
        var providerFeeMinor: Int
        var platformFeeMinor: Int
        var instructorShareMinor: Int

        init(_ row: Row) throws {
            currency = try row.string("currency")
            sales = try row.int("sales")
            refunds = try row.int("refunds")
            grossMinor = try row.int("gross_minor")
            taxMinor = try row.int("tax_minor")
            providerFeeMinor = try row.int("provider_fee_minor")
            platformFeeMinor = try row.int("platform_fee_minor")
            instructorShareMinor = try row.int("instructor_share_minor")
        }

        static let csvHeader = ["currency", "sales", "refunds", "gross", "tax", "provider_fee", "platform_fee", "instructor_share"]
        var csvCells: [String] {
            [currency, String(sales), String(refunds)]
                + [grossMinor, taxMinor, providerFeeMinor, platformFeeMinor, instructorShareMinor].map { decimal($0, currency) }
        }
    }

    /// An amount in major units for spreadsheets (`1499.00`), from minor units.
    static func decimal(_ minor: Int, _ currency: String) -> String {
        let text = Money.format(minor: minor, currency: currency)
        return text.replacingAll(currency.uppercased() + " ", with: "").replacingAll(",", with: "")
    }

    static func wantsCSV(_ request: Request) -> Bool {
        request.queryValue("format") == "csv" || (request.header("accept") ?? "").lowercased().contains("text/csv")
    }

    static func csv(_ header: [String], _ rows: [[String]], filename: String) -> Response {
        var text = header.joined(separator: ",") + "\r\n"
        for row in rows { text += row.map(CSV.cell).joined(separator: ",") + "\r\n" }
        return Response(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=utf-8"), ("Content-Disposition", "attachment; filename=\"\(filename)\""),
            ],
            body: Array(text.utf8))
    }
}

/// `GET /api/v1/instructor/earnings?from=&to=&group=day|month|course`: the caller's ledger
/// grouped (admins: any instructor's, `instructor_id`), per currency, with totals.
public enum InstructorEarnings {
    public static let endpoint = Endpoint(.get, "/api/v1/instructor/earnings", access: .roles([.instructor, .admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let caller = try context.user()
        let request = context.request
        let range = try EarningsReport.range(request)
        let group = request.queryValue("group") ?? "day"
        guard ["day", "month", "course"].contains(group) else { throw APIError.invalid(field: "group", "must be day, month or course") }
        var instructor = caller.id
        if caller.role == .admin, let other = request.queryValue("instructor_id") {
            guard isUUID(other) else { throw APIError.invalid(field: "instructor_id", "must be a user id") }
            instructor = other
        }
        let key: SQL =
            switch group {
            case "month": "to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')"
            case "course": "l.course_id::text"
            default: "to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            }
        let db = try context.db()
        let rows = try db.query(
            """
            SELECT \(fragment: key) AS key, max(c.title) AS title, l.currency, \(fragment: EarningsReport.sums)
            FROM earnings_ledger l JOIN courses c ON c.id = l.course_id
            WHERE l.instructor_id = \(instructor)::uuid AND \(fragment: EarningsReport.window(range))
            GROUP BY 1, l.currency ORDER BY 1, l.currency
            """
        ).rows
        let totals = try db.query(
            """
            SELECT l.currency, \(fragment: EarningsReport.sums) FROM earnings_ledger l
            WHERE l.instructor_id = \(instructor)::uuid AND \(fragment: EarningsReport.window(range))
            GROUP BY l.currency ORDER BY l.currency
            """
        ).rows
        let groups = try rows.map { row in
            Group(key: try row.string("key"), title: group == "course" ? try row.string("title") : nil, amounts: try .init(row))
        }
        if EarningsReport.wantsCSV(request) {
            return EarningsReport.csv(
                [group] + (group == "course" ? ["title"] : []) + EarningsReport.Amounts.csvHeader,
                groups.map { [$0.key] + ($0.title.map { [$0] } ?? []) + $0.amounts.csvCells }, filename: "earnings-\(group).csv")
        }
        return .ok(Report(group: group, groups: groups, totals: try totals.map(EarningsReport.Amounts.init)))
    }

    struct Group: Encodable, Sendable {
        var key: String
        var title: String?
        var amounts: EarningsReport.Amounts
    }

    struct Report: Encodable, Sendable {
        var group: String
        var groups: [Group]
        var totals: [EarningsReport.Amounts]
    }
}

/// `GET /api/v1/admin/payouts?from=&to=`: what each instructor earned in the period, per
/// currency (sales less refunds): the payout report. CSV with `Accept: text/csv`.
public enum PayoutReport {
    public static let endpoint = Endpoint(.get, "/api/v1/admin/payouts", access: .roles([.admin]), handle)

    public static func handle(_ context: Context) throws -> Response {
        let range = try EarningsReport.range(context.request)
        let rows = try context.db().query(
            """
            SELECT l.instructor_id::text AS instructor_id, u.name, u.email, l.currency, \(fragment: EarningsReport.sums)
            FROM earnings_ledger l JOIN users u ON u.id = l.instructor_id
            WHERE \(fragment: EarningsReport.window(range))
            GROUP BY l.instructor_id, u.name, u.email, l.currency ORDER BY u.name, l.instructor_id, l.currency
            LIMIT 10000
            """
        ).rows
        let lines = try rows.map { row in
            Line(
                instructorId: try row.string("instructor_id"), name: try row.string("name"), email: try row.string("email"),
                amounts: try .init(row))
        }
        if EarningsReport.wantsCSV(context.request) {
            return EarningsReport.csv(
                ["instructor_id", "name", "email"] + EarningsReport.Amounts.csvHeader,
                lines.map { [$0.instructorId, $0.name, $0.email] + $0.amounts.csvCells }, filename: "payouts.csv")
        }
        return .ok(Report(instructors: lines))
    }

    struct Line: Encodable, Sendable {
        var instructorId: String
        var name: String
        var email: String
        var amounts: EarningsReport.Amounts
    }

    struct Report: Encodable, Sendable {
        var instructors: [Line]
    }
}
