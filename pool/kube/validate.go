package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// validate checks the pod settings that the API server would reject on every pod, so that
// New reports them once instead of every Create failing. Field paths name config keys.
func (o PodOptions) validate() error {
	var errs field.ErrorList
	errs = append(errs, metavalidation.ValidateLabels(o.Labels, field.NewPath("kubernetes", "pod_labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(o.Annotations, field.NewPath("kubernetes", "pod_annotations"))...)
	errs = append(errs, metavalidation.ValidateLabels(o.NodeSelector, field.NewPath("kubernetes", "node_selector"))...)
	for i, t := range o.Tolerations {
		path := field.NewPath("kubernetes", "tolerations").Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(path.Child("key"), t.Key, msg))
			}
		}
		if t.Operator != corev1.TolerationOpExists && t.Value != "" {
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(path.Child("value"), t.Value, msg))
			}
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(path.Child("toleration_seconds"), *t.TolerationSeconds, "must be set only with effect NoExecute"))
		}
	}
	if o.RuntimeClassName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(o.RuntimeClassName) {
			errs = append(errs, field.Invalid(field.NewPath("kubernetes", "runtime_class_name"), o.RuntimeClassName, msg))
		}
	}
	return errs.ToAggregate()
}

// Check submits a pod for spec to the API server as a dry run, which admits the pod
// without creating it. It
// finds what would fail every Create: a missing namespace or RuntimeClass, a missing
// permission, or a spec the API server rejects. An API server that does not respond
// returns an error wrapping pool.ErrEngineUnavailable.
func (b *Backend) Check(ctx context.Context, spec pool.Spec) error {
	pod, err := podFor(spec, b.opts.Pod)
	if err != nil {
		return err
	}
	_, err = b.api.CoreV1().Pods(b.namespace).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return fmt.Errorf("checking a pod for image %s in namespace %s: %w", spec.Image, b.namespace, classify(err, nil))
	}
	return nil
}
