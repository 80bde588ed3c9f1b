//! The common shapes of a five-field cron expression in short plain words: "every 15 minutes",
//! "hourly at :30", "daily at 02:00 UTC", "at 06:00 UTC on Monday and Friday", "monthly on day 1
//! at 03:00 UTC". [`super::Schedule::describe`] falls back to the cron parser's longer wording for
//! the other shapes. (The expression is validated by the parser; this only describes it.)

const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn number(field: &str, max: u32) -> Option<u32> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok().filter(|n| *n <= max)
}

fn weekday(field: &str) -> Option<usize> {
    let n = number(field, 7).map(|n| (n % 7) as usize).or_else(|| {
        let lower = field.to_ascii_lowercase();
        DAYS.iter().position(|d| d[..3].eq_ignore_ascii_case(&lower))
    })?;
    Some(n)
}

/// Weekday lists and ranges: "1-5", "1,3,5", "mon-fri", "sat,sun".
fn weekdays(field: &str) -> Option<Vec<usize>> {
    let mut days = Vec::new();
    for part in field.split(',') {
        if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (weekday(a)?, weekday(b)?);
            if a > b {
                return None;
            }
            days.extend(a..=b);
        } else {
            days.push(weekday(part)?);
        }
    }
    days.sort_unstable();
    days.dedup();
    Some(days)
}

fn join_days(days: &[usize]) -> String {
    if days == [1, 2, 3, 4, 5] {
        return "weekdays (Monday to Friday)".into();
    }
    if days == [0, 6] {
        return "Saturday and Sunday".into();
    }
    let names: Vec<&str> = days.iter().map(|d| DAYS[*d]).collect();
    match names.as_slice() {
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    }
}

/// A recognised shape in words (times are UTC); `None` for any other expression.
pub fn common_shape(expression: &str) -> Option<String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else { return None };
    let time = || Some(format!("{:02}:{:02}", number(hour, 23)?, number(minute, 59)?));

    if *hour == "*" && *dom == "*" && *month == "*" && *dow == "*" {
        if *minute == "*" {
            return Some("every minute".into());
        }
        if let Some(step) = minute.strip_prefix("*/").and_then(|s| number(s, 59)).filter(|s| *s > 0) {
            return Some(if step == 1 { "every minute".into() } else { format!("every {step} minutes") });
        }
        if let Some(m) = number(minute, 59) {
            return Some(format!("hourly at :{m:02}"));
        }
    }
    if let (Some(step), Some(m)) =
        (hour.strip_prefix("*/").and_then(|s| number(s, 23)).filter(|s| *s > 0), number(minute, 59))
        && *dom == "*"
        && *month == "*"
        && *dow == "*"
    {
        return Some(format!("every {step} hours at :{m:02}"));
    }
    if let Some(time) = time() {
        match (*dom, *month, *dow) {
            ("*", "*", "*") => return Some(format!("daily at {time} UTC")),
            ("*", "*", days) => {
                if let Some(days) = weekdays(days) {
                    return Some(format!("at {time} UTC on {}", join_days(&days)));
                }
            }
            (day, "*", "*") => {
                if let Some(d) = number(day, 31).filter(|d| *d >= 1) {
                    return Some(format!("monthly on day {d} at {time} UTC"));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::common_shape;

    #[test]
    fn common_shapes_in_words() {
        for (cron, words) in [
            ("*/15 * * * *", "every 15 minutes"),
            ("* * * * *", "every minute"),
            ("30 * * * *", "hourly at :30"),
            ("5 */6 * * *", "every 6 hours at :05"),
            ("0 2 * * *", "daily at 02:00 UTC"),
            ("30 6 * * 1-5", "at 06:30 UTC on weekdays (Monday to Friday)"),
            ("0 6 * * 1,5", "at 06:00 UTC on Monday and Friday"),
            ("0 6 * * sat,sun", "at 06:00 UTC on Saturday and Sunday"),
            ("0 23 * * 0", "at 23:00 UTC on Sunday"),
            ("0 3 1 * *", "monthly on day 1 at 03:00 UTC"),
        ] {
            assert_eq!(common_shape(cron).as_deref(), Some(words), "{cron}");
        }
    }

    #[test]
    fn other_expressions_are_left_to_the_parser() {
        for cron in ["0 2 1 1 *", "0 2 L * *", "1,2 3 * * *", "0 2 * * 5-1", "nonsense", "off"] {
            assert_eq!(common_shape(cron), None, "{cron}");
        }
    }
}
