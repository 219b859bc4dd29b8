package saga

import (
	"context"
	"fmt"
	"reflect"
	"slices"
)

// Activity is a typed handle on an activity: its registered name, with the
// input and output types that both the workflow (through Bind) and the
// implementation (through Register) are held to.
type Activity[I, O any] struct{ Name string }

// Nothing is the output of an activity that returns only an error.
type Nothing struct{}

// ActivityName is the name the activity is registered under.
func (a Activity[I, O]) ActivityName() string { return a.Name }

// signature is the Go type an implementation of a must have: a method
// func(context.Context, I) (O, error), or func(context.Context, I) error when
// O is Nothing.
func (a Activity[I, O]) signature() reflect.Type {
	ctx, in, errT := reflect.TypeFor[context.Context](), reflect.TypeFor[I](), reflect.TypeFor[error]()
	if reflect.TypeFor[O]() == reflect.TypeFor[Nothing]() {
		return reflect.FuncOf([]reflect.Type{ctx, in}, []reflect.Type{errT}, false)
	}
	return reflect.FuncOf([]reflect.Type{ctx, in}, []reflect.Type{reflect.TypeFor[O](), errT}, false)
}

// handle is an Activity of any types.
type handle interface {
	ActivityName() string
	signature() reflect.Type
}

// Exec runs the activity named activity with in and decodes its output into
// out, a pointer; out is nil when the activity returns Nothing. The workflow
// gives one that schedules the activity, the direct baseline one that calls
// it in process.
type Exec func(activity string, in, out any) error

// Call is an activity as a saga step calls it: how its input is made of
// what the saga knows, and what the saga keeps of its output.
type Call interface {
	handle
	// Run calls the activity through exec on what f holds, and keeps its
	// output in f.
	Run(f *Facts, exec Exec) error
}

// Bind makes a Call of a: in builds its input from the saga's facts, keep
// (nil for none) records its output in them. The compiler holds both to
// a's types.
func Bind[I, O any](a Activity[I, O], in func(Facts) I, keep func(*Facts, O)) Call {
	return call[I, O]{Activity: a, in: in, keep: keep}
}

type call[I, O any] struct {
	Activity[I, O]
	in   func(Facts) I
	keep func(*Facts, O)
}

func (c call[I, O]) Run(f *Facts, exec Exec) error {
	var out O
	var ptr any = &out
	if _, none := any(out).(Nothing); none {
		ptr = nil
	}
	if err := exec(c.Name, c.in(*f), ptr); err != nil {
		return err
	}
	if c.keep != nil {
		c.keep(f, out)
	}
	return nil
}

// Implementations finds, on impl, a method for every activity of the saga,
// named as the activity and of the type its handle says, and returns them
// by activity name. A missing or mistyped method is an error that names it,
// so a worker refuses to start rather than fail a saga half-way.
func Implementations(impl any) (map[string]any, error) {
	v := reflect.ValueOf(impl)
	out := map[string]any{}
	for _, h := range Purchase.activities() {
		name := h.ActivityName()
		m := v.MethodByName(name)
		switch {
		case !m.IsValid():
			return nil, fmt.Errorf("%T has no method %s for the saga's activity %s", impl, name, name)
		case m.Type() != h.signature():
			return nil, fmt.Errorf("%T.%s is %s; the saga's activity %s wants %s", impl, name, m.Type(), name, h.signature())
		}
		out[name] = m.Interface()
	}
	return out, nil
}

// Invoke calls fn, one of Implementations' functions, with in, and stores
// its output in out (a pointer, or nil for Nothing): the direct baseline's
// Exec.
func Invoke(ctx context.Context, fn, in, out any) error {
	res := reflect.ValueOf(fn).Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
	if len(res) == 2 && out != nil {
		reflect.ValueOf(out).Elem().Set(res[0])
	}
	if err, _ := res[len(res)-1].Interface().(error); err != nil {
		return err
	}
	return nil
}

// activities lists every activity the saga calls, each once, in step
// order: the steps', the pivot's question, then the compensations'.
func (s Definition) activities() []handle {
	var out []handle
	add := func(h handle) {
		if !slices.ContainsFunc(out, func(o handle) bool { return o.ActivityName() == h.ActivityName() }) {
			out = append(out, h)
		}
	}
	for _, st := range s.Steps {
		add(st.Call)
		if st.Ask != nil {
			add(*st.Ask)
		}
	}
	for _, st := range s.Steps {
		if st.Undo != nil {
			add(st.Undo.Call)
		}
	}
	return out
}
