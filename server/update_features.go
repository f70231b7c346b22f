package server

// UpdateFeatures: v0-2
//
// Changes finalized feature levels (features.go) as Kafka's controller
// does (QuorumController.updateFeatures, FeatureControlManager): every
// update is checked, the first refused one fails them all, and the rest
// are applied together and persisted before the answer.
//
// Answer: on a refusal, the top-level ErrorCode INVALID_UPDATE_VERSION
// with "The update failed for all features since the following feature had
// an error: <reason>" and no per-feature results; on success a top-level 0
// with a null message and, at v0-v1 only, one result per requested feature
// (ErrorCode 0, ErrorMessage "NONE", what Kafka's Errors.NONE.message()
// gives). v2 has no per-feature results.
//
// Version notes:
//   - v0: AllowDowngrade, which Kafka 4's controller ignores: it reads the
//     v1 UpgradeType field, whose default is UPGRADE; so does Strata
//   - v1: UpgradeType (1 upgrade, 2 safe downgrade, 3 unsafe downgrade;
//     anything else is refused), ValidateOnly
//   - v2: results only through the top-level error

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleUpdateFeatures(r *request) (reply, error) {
	if rep := s.clusterDenied(r, opAlter); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.UpdateFeaturesRequest)
	resp := req.ResponseKind().(*kmsg.UpdateFeaturesResponse)
	updates := make([]featureUpdate, len(req.FeatureUpdates))
	for i, fu := range req.FeatureUpdates {
		t := fu.UpgradeType
		if req.Version == 0 {
			t = upgradeUpgrade
		}
		updates[i] = featureUpdate{name: fu.Feature, level: fu.MaxVersionLevel, upgradeType: t}
	}
	if err := s.updateFeatures(updates, req.Version >= 1 && req.ValidateOnly); err != nil {
		resp.ErrorCode = errCode(err)
		msg := "The update failed for all features since the following feature had an error: " + *errMessage(err)
		resp.ErrorMessage = &msg
		return msgReply{resp}, nil
	}
	if req.Version <= 1 {
		for _, fu := range req.FeatureUpdates {
			res := kmsg.NewUpdateFeaturesResponseResult()
			res.Feature = fu.Feature
			none := "NONE"
			res.ErrorMessage = &none
			resp.Results = append(resp.Results, res)
		}
	}
	return msgReply{resp}, nil
}
