// Package ninjaone is a local emulator of the parts of the NinjaOne
// (NinjaRMM) Public API v2 an asset sync uses, faithful to the vendor's
// OpenAPI document (NinjaRMM-API-v2.json, 2.0.9-draft) where it speaks and
// to observed client behaviour where it is silent.
//
// What it serves:
//
//   - POST /ws/oauth/token (also /oauth/token, as some clients and the
//     notes this emulator started from spell it): the client credentials
//     grant (form-encoded
//     client_id, client_secret, grant_type=client_credentials, scope from
//     "monitoring management control"), answering access_token, token_type
//     Bearer, expires_in and scope. Tokens expire after
//     Options.TokenLifetime; API calls with an expired one get 401.
//   - GET /v2/organizations, /v2/locations, /v2/devices and
//     /v2/devices-detailed: bare JSON arrays in ascending id order, keyset
//     paged with pageSize and after (the last id of the previous page): a
//     page shorter than pageSize is the last. Devices take a device filter
//     df ("org = 7", "loc in (3,4)", "id = 12", "class in (MAC,
//     WINDOWS_SERVER)", joined with AND).
//   - GET /v2/queries/computer-systems, operating-systems,
//     network-interfaces, logged-on-users and software: {"cursor":{"name",
//     "offset","count","expires"},"results":[...]}. The first request (df,
//     pageSize) opens a cursor over a snapshot of the matching devices; the
//     client passes cursor=<name> to read on, until a page has no results.
//     A cursor unused for Options.CursorTTL expires (400).
//
// Timestamps are epoch seconds as JSON numbers with a fraction, as the
// spec types them (double). Errors carry {"resultCode","errorMessage",
// "incidentId"} (the shape third-party clients report; the spec does not
// describe one). Options.RateLimit throttles with 429 and Retry-After.
// Faults are injected by path (Inject).
//
// The dataset lives in memory in compact form (software as indexes into a
// catalogue), so 100,000 devices take well under 100 MB, and each page is
// encoded on demand.
//
// Not a public API: the emulator exists for this module's tests,
// benchmarks and demo.
package ninjaone
