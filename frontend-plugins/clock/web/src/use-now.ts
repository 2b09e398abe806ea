import { onBeforeUnmount, onMounted, ref } from 'vue';

/** The current time, updated every second while the component is mounted. */
export function useNow() {
  const now = ref(new Date());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => (now.value = new Date()), 1000);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
