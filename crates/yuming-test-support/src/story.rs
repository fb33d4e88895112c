//! Long use-case stories name their steps, so that a failure says which step broke.

use std::cell::Cell;

/// The current step of a story. When the story fails (a panic unwinds through it), the step
/// is written to the test's output:
///
/// ```
/// let story = yuming_test_support::story::Story::new("a customer files a site");
/// story.step("draft with mistakes");
/// // …
/// story.step("the reviewer approves");
/// ```
pub struct Story {
    name: &'static str,
    step: Cell<&'static str>,
}

impl Story {
    /// A story called `name`, before its first step.
    pub fn new(name: &'static str) -> Story {
        Story {
            name,
            step: Cell::new("setting up"),
        }
    }

    /// Enters the step called `step`.
    pub fn step(&self, step: &'static str) {
        self.step.set(step);
    }

    /// The step the story is in.
    pub fn current(&self) -> &'static str {
        self.step.get()
    }
}

impl Drop for Story {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("story “{}” failed in step: {}", self.name, self.step.get());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Story;

    #[test]
    fn the_failing_step_is_the_current_one() {
        let outcome = std::panic::catch_unwind(|| {
            let story = Story::new("demo");
            story.step("first");
            assert_eq!(story.current(), "first");
            story.step("second");
            panic!("broken in {}", story.current());
        });
        let message = outcome.expect_err("panics");
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(text, "broken in second");
    }
}
