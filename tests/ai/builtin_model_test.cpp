#include "sluice/ai/model_service.hpp"

#include <gtest/gtest.h>

namespace sluice::ai {
namespace {

TEST(BuiltinModel, PicksTheContextSentenceSharingMostWords) {
  BuiltinModel model;
  std::string context = "Cats sleep a lot. Rate limits protect expensive endpoints. Sluice is fast.";
  EXPECT_EQ(model.generate("what protects expensive endpoints", context), "Rate limits protect expensive endpoints.");
  EXPECT_EQ(model.generate("IS SLUICE FAST?", context), "Sluice is fast.");
}

TEST(BuiltinModel, DocumentsOnSeparateLinesAreSentences) {
  BuiltinModel model;
  EXPECT_EQ(model.generate("context prompt", "Sluice serves AI backends\nContext for the prompt"),
            "Context for the prompt");
}

TEST(BuiltinModel, WithoutMatchingContextReversesThePromptWords) {
  BuiltinModel model;
  EXPECT_EQ(model.generate("hello big world", ""), "world big hello");
  EXPECT_EQ(model.generate("hello", "Nothing in common."), "hello");
  EXPECT_EQ(model.generate("", ""), "");
}

TEST(BuiltinModel, IsDeterministic) {
  BuiltinModel model;
  std::string context = "One two. Two three. Three one.";
  EXPECT_EQ(model.generate("one two three", context), model.generate("one two three", context));
  EXPECT_EQ(model.generate("one two three", context), "One two.");  // ties: the earliest
}

}  // namespace
}  // namespace sluice::ai
