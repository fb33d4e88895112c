//! Staff work complaints and appeals: the queue by the nearest deadline (escalated ones
//! marked), acknowledging, the final written answer, and the CSV export for regulators.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::care::complaints;

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::pages::complaints::{ComplaintLine, line_of};
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

#[derive(Template)]
#[template(path = "admin/complaints.html")]
struct QueuePage {
    base: Base,
    complaints: Vec<ComplaintLine>,
    from: String,
    to: String,
}

/// `GET /admin/complaints`.
pub async fn queue(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let rows = match complaints::queue(&state.app, actor).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let today = yuming_core::calendar::WorkCalendar::day_of(visitor.now);
    let month_start = today.replace_day(1).unwrap_or(today);
    let template = QueuePage {
        base: Base::new(
            &visitor,
            &state,
            "admin-complaints-title",
            "admin-complaints",
        ),
        complaints: rows.iter().map(|c| line_of(visitor.locale, c)).collect(),
        from: month_start.to_string(),
        to: today.to_string(),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "admin/complaint.html")]
struct ComplaintPage {
    base: Base,
    c: ComplaintLine,
    form: FormState,
    other: FormState,
}

async fn complaint_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match complaints::get(&state.app, actor, id).await {
        Ok(c) => {
            let template = ComplaintPage {
                base: Base::new(visitor, state, "admin-complaints-title", "admin-complaints"),
                c: line_of(visitor.locale, &c),
                form,
                other: FormState::new(),
            };
            page(visitor, status, &template)
        }
        Err(e) => app_error_page(visitor, state, &e),
    }
}

/// `GET /admin/complaints/{id}`.
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    complaint_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `POST /admin/complaints/{id}/{action}`: `acknowledge`, or `answer` with `text`.
pub async fn action(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let complaint = id.clone();
    let text = fields.get("body").cloned().unwrap_or_default();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        match action.as_str() {
            "acknowledge" => {
                complaints::acknowledge(&app, &ctx, &actor, &complaint).await?;
            }
            "answer" => {
                complaints::answer(&app, &ctx, &actor, &complaint, &text).await?;
            }
            _ => return Err(yuming_app::AppError::not_found()),
        }
        Ok(format!(
            "/admin/complaints/{complaint}?done=complaint-updated"
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["body"]);
            complaint_page(&state, &visitor, &id, form, status_of(&e)).await
        }
    }
}

/// The export's period.
#[derive(serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// `GET /admin/complaints.csv?from=&to=`: every complaint received in the period (China
/// days), for regulators.
pub async fn export(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<ExportQuery>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let (Ok(from), Ok(to)) = (
        time::Date::parse(query.from.trim(), &format),
        time::Date::parse(query.to.trim(), &format),
    ) else {
        return app_error_page(
            &visitor,
            &state,
            &yuming_app::AppError::bad_request(
                "INVALID_PERIOD",
                "give the period as from=YYYY-MM-DD and to=YYYY-MM-DD",
                "请以 from=YYYY-MM-DD 和 to=YYYY-MM-DD 指定时间段",
            ),
        );
    };
    match complaints::export_csv(&state.app, actor, from, to).await {
        Ok(csv) => visitor.finish(
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"complaints-{from}-{to}.csv\""),
                    ),
                ],
                csv,
            )
                .into_response(),
        ),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
