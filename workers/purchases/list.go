package purchases

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/money"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/internal/services/order/orderapi"
)

// ListBudget is how long after it began a page of the list waits for
// Temporal's visibility store to say how its orchestrated sagas stand. A
// Temporal server under load can take far longer; the page is then
// answered with the statuses their orders give, and says so
// (Page.Partial), so that the list answers promptly however busy Temporal
// is.
const ListBudget = 150 * time.Millisecond

// Page sizes of the purchase list: the default, and the most one page
// holds.
const (
	DefaultPageSize = 25
	MaxPageSize     = 200
)

// ListQuery asks for a page of purchases, newest first. Every field may
// be empty.
type ListQuery struct {
	Status     saga.Status
	Mode       saga.Mode
	CustomerID string
	Limit      int    // DefaultPageSize when 0
	Cursor     string // the Next of the page before
}

// Row is one purchase of the list, in either mode.
type Row struct {
	OrderID    string      `json:"order_id"`
	Mode       saga.Mode   `json:"mode"`
	CustomerID string      `json:"customer_id"`
	Status     saga.Status `json:"status"`
	TotalCents money.Cents `json:"total_cents"`
	Reason     string      `json:"reason,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
	// An orchestrated purchase's workflow, and its page in the Web UI.
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	UIURL      string `json:"ui_url,omitempty"`
}

// Page is one page of purchases.
type Page struct {
	Purchases []Row `json:"purchases"`
	// Next, when there are more, is the cursor of the page after.
	Next string `json:"next,omitempty"`
	// Partial, when set, says what this page lacks because a source did
	// not answer.
	Partial string `json:"partial,omitempty"`
}

// values is the query as GET /purchases takes it.
func (q ListQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": string(q.Status), "mode": string(q.Mode), "customer_id": q.CustomerID, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Validate checks a query as the API and the CLI take it.
func (q ListQuery) Validate() error {
	switch q.Status {
	case "", saga.Running, saga.Compensating, saga.Approved, saga.Cancelled, saga.Failed, saga.Terminated:
	default:
		return fmt.Errorf("%w: status must be RUNNING, COMPENSATING, APPROVED, CANCELLED, FAILED or TERMINATED, got %q", fault.ErrInvalid, q.Status)
	}
	switch q.Mode {
	case "", saga.Orchestration, saga.Choreography:
	default:
		return fmt.Errorf("%w: mode must be orchestration or choreography, got %q", fault.ErrInvalid, q.Mode)
	}
	if len(q.CustomerID) > 64 || strings.ContainsFunc(q.CustomerID, func(r rune) bool { return r < ' ' || r == '\'' || r == '"' || r == '\\' }) {
		return fmt.Errorf("%w: customer_id must be at most 64 printable characters without quotes", fault.ErrInvalid)
	}
	if q.Limit < 0 || q.Limit > MaxPageSize {
		return fmt.Errorf("%w: limit must be from 1 to %d, got %d", fault.ErrInvalid, MaxPageSize, q.Limit)
	}
	if _, _, err := parseCursor(q.Cursor); err != nil {
		return err
	}
	return nil
}

// A cursor says which source the list pages through: the order service
// ("o." and its own cursor) or, for what only Temporal knows (a saga
// compensating, failed or terminated), its visibility store ("v." and the
// page token).
const (
	fromOrders     = "o."
	fromVisibility = "v."
)

func parseCursor(c string) (source, rest string, err error) {
	if c == "" {
		return "", "", nil
	}
	for _, s := range []string{fromOrders, fromVisibility} {
		if rest, ok := strings.CutPrefix(c, s); ok && rest != "" {
			return s, rest, nil
		}
	}
	return "", "", fmt.Errorf("%w: cursor must be the next of an earlier page, got %q", fault.ErrInvalid, c)
}

// onlyTemporalKnows tells whether a status is one only a workflow has: the
// order service's PENDING does not say whether a saga is compensating.
func onlyTemporalKnows(s saga.Status) bool {
	return s == saga.Compensating || s == saga.Failed || s == saga.Terminated
}

// List reads a page of purchases in both modes, newest first: from the
// order service, which holds every purchase's order, with each
// orchestrated one's saga read from Temporal's visibility store. A status
// only a saga has lists orchestrated purchases from visibility alone; so
// does a first page when the order service does not answer, which the
// page then says.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	began := time.Now()
	if err := q.Validate(); err != nil {
		return Page{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	source, cursor, _ := parseCursor(q.Cursor)
	if source == fromVisibility || onlyTemporalKnows(q.Status) {
		if q.Mode == saga.Choreography {
			return Page{Purchases: []Row{}}, nil // a choreographed saga has no such status
		}
		return s.listVisibility(ctx, q, cursor)
	}
	orders, err := s.Orders.Newest(ctx, orderapi.ListQuery{CustomerID: q.CustomerID, Status: orderStatus(q.Status),
		Mode: q.Mode, Limit: q.Limit, Before: cursor})
	if err != nil {
		if errors.Is(err, fault.ErrInvalid) || s.Temporal == nil || cursor != "" || q.Mode == saga.Choreography {
			return Page{}, fmt.Errorf("list orders: %w", err)
		}
		page, verr := s.listVisibility(ctx, q, "")
		if verr != nil {
			return Page{}, errors.Join(fmt.Errorf("list orders: %w", err), verr)
		}
		page.Partial = "the order service did not answer, so only orchestrated purchases are listed: " + err.Error()
		return page, nil
	}
	page := Page{Purchases: make([]Row, 0, len(orders.Orders))}
	if orders.Next != "" {
		page.Next = fromOrders + orders.Next
	}
	var orchestrated []string
	for _, o := range orders.Orders {
		row := Row{OrderID: o.OrderID, Mode: o.Mode, CustomerID: o.CustomerID, Status: purchaseStatus(o.Status),
			TotalCents: o.TotalCents, Reason: o.Reason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
		if row.Mode == "" {
			row.Mode = saga.Orchestration // a tombstone no owner named
		}
		if row.Mode == saga.Orchestration {
			orchestrated = append(orchestrated, saga.WorkflowID(o.OrderID))
		}
		page.Purchases = append(page.Purchases, row)
	}
	if s.Temporal == nil || len(orchestrated) == 0 {
		return page, nil
	}
	vctx, cancel := context.WithDeadline(ctx, began.Add(ListBudget))
	defer cancel()
	sagas, err := s.visibility(vctx, "WorkflowId IN ("+quoted(orchestrated)+")", len(orchestrated), nil)
	if err != nil {
		if ctx.Err() != nil {
			return Page{}, ctx.Err()
		}
		page.Partial = "Temporal's visibility store did not answer within " + ListBudget.String() +
			" of the request, so orchestrated purchases show their order's status (reload for the saga's)"
		if vctx.Err() == nil {
			page.Partial = "Temporal's visibility store did not answer, so orchestrated purchases show their order's status: " + err.Error()
		}
		for i := range page.Purchases {
			if row := &page.Purchases[i]; row.Mode == saga.Orchestration {
				row.WorkflowID, row.UIURL = saga.WorkflowID(row.OrderID), s.Links.WorkflowURL(saga.WorkflowID(row.OrderID), "")
			}
		}
		return page, nil
	}
	byID := map[string]*workflowpb.WorkflowExecutionInfo{}
	for _, e := range sagas.GetExecutions() {
		byID[e.GetExecution().GetWorkflowId()] = e
	}
	kept := page.Purchases[:0]
	for _, row := range page.Purchases {
		if e, ok := byID[saga.WorkflowID(row.OrderID)]; ok && row.Mode == saga.Orchestration {
			s.withSaga(&row, e)
		}
		// A pending order's saga may be compensating: RUNNING lists the
		// ones that are not.
		if q.Status == "" || row.Status == q.Status {
			kept = append(kept, row)
		}
	}
	page.Purchases = kept
	return page, nil
}

// listVisibility lists orchestrated purchases from Temporal's visibility
// store alone, newest first as it orders them.
func (s *Service) listVisibility(ctx context.Context, q ListQuery, token string) (Page, error) {
	if s.Temporal == nil {
		return Page{}, fmt.Errorf("%w: listing by %s needs Temporal", fault.ErrUnavailable, q.Status)
	}
	var where []string
	switch {
	case q.Status == saga.Terminated:
		where = append(where, "ExecutionStatus IN ('Terminated', 'TimedOut')")
	case q.Status != "":
		where = append(where, fmt.Sprintf("%s = '%s'", saga.SearchSagaStatus, q.Status))
	}
	if q.CustomerID != "" {
		where = append(where, fmt.Sprintf("%s = '%s'", saga.SearchCustomerID, q.CustomerID))
	}
	var next []byte
	if token != "" {
		var err error
		if next, err = base64.RawURLEncoding.DecodeString(token); err != nil {
			return Page{}, fmt.Errorf("%w: cursor must be the next of an earlier page", fault.ErrInvalid)
		}
	}
	resp, err := s.visibility(ctx, strings.Join(where, " AND "), q.Limit, next)
	if err != nil {
		return Page{}, err
	}
	page := Page{Purchases: make([]Row, 0, len(resp.GetExecutions()))}
	for _, e := range resp.GetExecutions() {
		row := Row{Mode: saga.Orchestration}
		s.withSaga(&row, e)
		page.Purchases = append(page.Purchases, row)
	}
	if t := resp.GetNextPageToken(); len(t) > 0 {
		page.Next = fromVisibility + base64.RawURLEncoding.EncodeToString(t)
	}
	return page, nil
}

// visibility asks Temporal's visibility store for purchase sagas.
func (s *Service) visibility(ctx context.Context, where string, n int, token []byte) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	query := fmt.Sprintf("WorkflowType = '%s'", saga.WorkflowType)
	if where != "" {
		query += " AND " + where
	}
	resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(n), NextPageToken: token})
	if err != nil {
		return nil, fmt.Errorf("%w: list sagas in Temporal: %w", fault.ErrUnavailable, err)
	}
	return resp, nil
}

// withSaga fills in what a saga's visibility record says of its purchase.
func (s *Service) withSaga(row *Row, e *workflowpb.WorkflowExecutionInfo) {
	row.WorkflowID, row.RunID = e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()
	row.UIURL = s.Links.WorkflowURL(row.WorkflowID, row.RunID)
	fields := e.GetSearchAttributes().GetIndexedFields()
	if row.OrderID == "" {
		row.OrderID = strings.TrimPrefix(row.WorkflowID, saga.WorkflowID(""))
		_ = decode(fields[saga.SearchOrderID], &row.OrderID)
		_ = decode(fields[saga.SearchCustomerID], &row.CustomerID)
		var total int64
		if decode(fields[saga.SearchOrderTotal], &total) == nil {
			row.TotalCents = money.Cents(total)
		}
		row.CreatedAt = e.GetStartTime().AsTime()
		row.UpdatedAt = row.CreatedAt
		if e.GetCloseTime() != nil {
			row.UpdatedAt = e.GetCloseTime().AsTime()
		}
	}
	var status string
	if decode(fields[saga.SearchSagaStatus], &status) == nil && status != "" {
		row.Status = saga.Status(status)
	}
	switch e.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		row.Status = saga.Terminated
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		row.Status = saga.Failed
	}
}

func decode(p *commonpb.Payload, into any) error {
	if p == nil {
		return errors.New("absent")
	}
	return converter.GetDefaultDataConverter().FromPayload(p, into)
}

// quoted is a visibility query's list of strings.
func quoted(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "'" + strings.ReplaceAll(id, "'", "") + "'"
	}
	return strings.Join(out, ", ")
}

// orderStatus is the order status a purchase status lists.
func orderStatus(s saga.Status) orderapi.Status {
	switch s {
	case saga.Running:
		return orderapi.StatusPending
	case saga.Approved:
		return orderapi.StatusApproved
	case saga.Cancelled:
		return orderapi.StatusCancelled
	}
	return ""
}

// purchaseStatus is a purchase's status as its order alone tells it.
func purchaseStatus(s orderapi.Status) saga.Status {
	if s == orderapi.StatusPending {
		return saga.Running
	}
	return saga.Status(s)
}
