// Package snipeit is a local emulator of the Snipe-IT REST API v1 as an
// asset inventory sync uses it. It implements the documented semantics of a
// self-hosted Snipe-IT (Laravel) rather than replaying canned answers, so a
// connector tested against it meets the same paging, error bodies and
// throttling it meets on a real instance.
//
// What it serves (paths as on https://{host}/api/v1/):
//
//   - GET /api/v1/hardware: offset paging with limit (default and maximum
//     Options.MaxResults, 500 like MAX_RESULTS; a larger limit falls back to
//     the maximum) and offset (past the end clamps to the total), sort (id,
//     name, asset_tag, serial, created_at; anything else sorts by
//     created_at) and order (asc|desc, default desc). The answer is
//     {"total": N, "rows": [...]} with the AssetsTransformer's fields:
//     nested {id,name} objects, assigned_to {id,username,name,email,...,
//     type:"user"}, status_label {id,name,status_type,status_meta},
//     custom_fields keyed by label, dates as {"date","formatted"} and
//     {"datetime","formatted"} objects. Soft-deleted assets are listed only
//     with status=Deleted (or deleted=true).
//   - GET /api/v1/hardware/{id}: one asset, or HTTP 200 with
//     {"status":"error","messages":"Asset does not exist.","payload":null}
//     (Snipe-IT's way of saying "not found").
//   - GET /api/v1/locations: the same paging over locations.
//   - GET /api/v1/users/me: the token's own user.
//
// Errors use Snipe-IT's bodies: 401 {"error":"Unauthorized or
// unauthenticated."} for a missing, unknown or revoked token; 404
// {"status":"error","messages":"404 endpoint not found","payload":null}
// for an unknown route; 405 for a method other than GET. Throttling is
// Laravel's: a fixed window of Options.RateLimit requests a minute per
// token (120 by default, API_THROTTLE_PER_MINUTE), X-RateLimit-Limit and
// X-RateLimit-Remaining on every answer, and past the limit 429 with
// Retry-After and X-RateLimit-Reset and the body {"status":"error",
// "messages":"Too many requests","payload":null}.
//
// Tests drive the instance with Generate and the mutation methods
// (AddAsset, UpdateAsset, MoveAsset, SetStatus, Checkout, DeleteAsset,
// PurgeAsset, AddLocation) and inject faults by path with Inject. All
// methods are safe to call while requests are being served.
//
// Not a public API: the emulator exists for this module's tests and
// benchmarks.
package snipeit
