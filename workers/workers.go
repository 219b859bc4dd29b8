// Package workers builds the purchase saga's worker: the workflow and its
// activities registered on the purchase-saga task queue. The binary that
// runs it is cmd/worker.
package workers

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagaforge/saga/activities"
	"github.com/sagaforge/saga/internal/saga"
	"github.com/sagaforge/saga/workflows"
)

// New returns a worker that runs the purchase workflow with policy and its
// activities over the service clients in acts, its steps also seen by the
// observers (the purchase API's purchases.Pivots); Start it, and Stop it
// when done.
func New(c client.Client, policy workflows.Policy, acts *activities.Activities, observers ...interceptor.WorkerInterceptor) (worker.Worker, error) {
	steps, err := newStepMetrics()
	if err != nil {
		return nil, err
	}
	w := worker.New(c, saga.TaskQueue, worker.Options{
		Interceptors: append([]interceptor.WorkerInterceptor{steps}, observers...),
		// A new saga's first workflow task goes straight to a waiting poll
		// (sync match) or into the task queue's backlog in the server's
		// database, to be read back later; with the SDK's two pollers, split
		// between the sticky and the normal queue, sagas started while both
		// were busy took the slower backlog path (docs/bench/).
		MaxConcurrentWorkflowTaskPollers: 8,
	})
	w.RegisterWorkflowWithOptions(workflows.Purchase{Policy: policy}.Run, workflow.RegisterOptions{Name: saga.WorkflowType})
	if err := activities.Register(w, acts); err != nil {
		return nil, err
	}
	return w, nil
}
